import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { docker, engineSuite, newRunId, runContainer, TEST_LABEL, waitFor } from '../helpers/engine.ts';
import { freePort } from '../helpers/servers.ts';

// SECURITY.md rule 1 on the real engine: healer's listener through a host port its own container
// publishes. healer (dist/, the bundle) runs in a container of the Node test image that publishes
// `<P>:9299`; it finds its own container as it does in production (its bind-mounted /etc files) and reads
// the port from the engine's inspect. The test bed has no bridge network (TESTBED.md: dockerd
// --bridge=none, and tests make none), so healer's container is on `--network none`: the engine binds
// nothing there but keeps the binding in HostConfig.PortBindings, the same field it fills on a bridge
// (and which Swarm fills for `mode: host`), which is what the rule reads.

const suite = engineSuite();
const dist = fileURLToPath(new URL('../../dist', import.meta.url));
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

/** healer's CLI in a container publishing `published`→9299; its output once it exits, or after `until` matches. */
async function healerInContainer(runId: string, published: number, args: string[], until?: RegExp): Promise<{ code: number | undefined; out: string }> {
  const c = await docker.createContainer({
    name: `healer-${args[0] ?? 'run'}-${runId}`,
    Image: 'healer-test-node:latest',
    Cmd: ['node', '/app/dist/cli.js', ...args],
    Tty: true, // one plain stream for the logs
    Env: [`HEALER_DISCOVERY_SCOPE=${runId}`, 'HEALER_STATE_PATH=/tmp/state.json'],
    Labels: { [TEST_LABEL]: runId },
    ExposedPorts: { '9299/tcp': {} },
    HostConfig: {
      NetworkMode: 'none',
      PortBindings: { '9299/tcp': [{ HostIp: '', HostPort: String(published) }] },
      Binds: [`${dist}:/app/dist:ro`, '/var/run/docker.sock:/var/run/docker.sock'],
    },
  });
  suite.defer(() => c.remove({ force: true }).catch(() => undefined));
  await c.start();
  const logs = async (): Promise<string> => (await c.logs({ stdout: true, stderr: true })).toString();
  if (until) {
    const out = await waitFor(`healer's log to match ${until}`, async () => ((await logs()).match(until) ? logs() : undefined), 30_000);
    return { code: undefined, out };
  }
  const { StatusCode } = (await c.wait()) as { StatusCode: number };
  return { code: StatusCode, out: await logs() };
}

describe('healer in a container that publishes its port', () => {
  it('refuses a host-network app’s probe of 127.0.0.1:<published port> as a label error naming the container, the label and the port; `healer check` lists it', async () => {
    const runId = newRunId();
    const published = await freePort();
    const labels = (probe: string) => ({ 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': probe, 'healer.liveness.interval': '200ms' });
    await runContainer({ runId, name: 'reacher', cmd: IDLE, labels: labels(`http://127.0.0.1:${published}/api/status`) });
    // The same kind of probe on a port healer does not publish is no label error (from a container
    // without a network it cannot be routed: a configuration problem, not a refusal).
    await runContainer({ runId, name: 'other', cmd: IDLE, labels: labels(`http://127.0.0.1:${published + 1}/health`) });
    const refusal = `label healer.liveness on container "reacher-${runId}": "http://127.0.0.1:${published}/api/status" refused: 127.0.0.1:${published} is healer's own listener through the port healer's container publishes (host port ${published} on every host address → 9299/tcp); healer never probes it for a label unless watchdog.yml lists the host explicitly (add 127.0.0.1 to probes.allow_hosts in watchdog.yml to allow it)`;

    const report = await healerInContainer(runId, published, ['check']);
    const out = report.out.replace(/\r\n/g, '\n');
    expect(out).toContain(`ERROR   reacher-${runId}\n  ${refusal}`);
    expect(out).toContain(`WATCH   other-${runId}`);
    expect(out).not.toContain(`"http://127.0.0.1:${published + 1}/health" refused`);
    expect(report.code).toBe(1);

    // The watchdog itself: it reads its own container's published port at start and says so.
    const run = await healerInContainer(runId, published, [], /this container is not watched/);
    const lines = run.out.split(/\r?\n/).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; published?: string[] });
    expect(lines.find((l) => l.msg.startsWith('healer runs in a container'))?.published).toEqual([`:${published}->9299/tcp`]);
    expect(lines.some((l) => l.msg.includes(refusal))).toBe(true);
  }, 90_000);
});
