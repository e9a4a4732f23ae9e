import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ProbePolicy } from '../../src/config/policy.ts';
import { Engine } from '../../src/docker/engine.ts';
import { execProber } from '../../src/probes/exec.ts';
import type { ProbeResult } from '../../src/probes/types.ts';
import { probeOnce } from '../../src/watchdog/probe-once.ts';
import { engineSuite, newRunId, runContainer } from '../helpers/engine.ts';

// Review 24 (exec probes: "an earlier probe's command still running"). The exec a timed-out probe left
// running is remembered per container and command (docker/exec.ts), not per probe: readiness and liveness
// share it. Trigger, a common shape (a quick readiness check, a patient liveness check, the same script):
//   healer.readiness=exec:/healthcheck  healer.readiness.timeout=500ms
//   healer.liveness=exec:/healthcheck   healer.liveness.timeout=5s
// with a check that takes 2 s under load (here `sleep 2`). The readiness probe times out (not ready: right)
// and its exec runs on; a liveness probe while it does fails with "the command of an earlier probe is
// still running", although liveness allows the command 5 s and it ends in 2 s. Its probes keep landing
// on the readiness probe's leftover, and after `failures` of them healer restarts a healthy container.
// What should happen: a liveness probe fails only on what its own timeout says (here: it passes).
// On the real Docker engine.
engineSuite(); // removes the test containers before and after
const CMD = 'sleep 2';

function policyOf(role: 'liveness' | 'readiness', timeout: string): ProbePolicy {
  const labels = { 'healer.enable': 'true', [`healer.${role}`]: `exec:${CMD}`, [`healer.${role}.timeout`]: timeout };
  const r = policyFromLabels({ labels, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
  const p = r.ok ? r.policy[role] : undefined;
  if (!p) throw new Error(r.ok ? `no ${role}` : r.errors.join('; '));
  return p;
}

async function probe(engine: Engine, id: string, p: ProbePolicy): Promise<ProbeResult> {
  return (await probeOnce(p, execProber(engine), () => ({ ok: true, target: { containerId: id, address: '127.0.0.1' } }), {})).result;
}

describe('review24: a readiness probe timing out does not fail the liveness probe of the same command', () => {
  it('liveness (timeout 5s) of a 2 s command passes while the readiness (timeout 500ms) exec still runs', async () => {
    const id = await runContainer({ runId: newRunId(), name: 'execroles', cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] });
    const engine = new Engine(new Docker({ socketPath: '/var/run/docker.sock' }));
    const readiness = await probe(engine, id, policyOf('readiness', '500ms'));
    expect(readiness).toMatchObject({ ok: false, error: 'timed out after 500ms' });
    const liveness = await probe(engine, id, policyOf('liveness', '5s'));
    // On this branch: { ok: false, error: 'the command of an earlier probe is still running (exec …)' }.
    expect(liveness.error).toBeUndefined();
    expect(liveness).toMatchObject({ ok: true, status: 0 });
  }, 30_000);
});
