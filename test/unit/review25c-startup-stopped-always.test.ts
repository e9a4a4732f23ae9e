import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Review 25c. Docker leaves a restart: always (or unless-stopped) container down only when someone
// stopped or killed it (docker stop / docker kill switch its policy off), or a restart failed: a crash is
// restarted. 651313c guards the resync: an exit found by inspect only is never started on the engine's
// verdict ("a docker stop of an always container reads as 'the engine left it down'"). The same exit found
// when healer (re)starts is not guarded: watchRules takes engineGaveUp from the first inspect, so an
// operator's `docker stop` of an always container whose app exits 1 on SIGTERM, made while healer was
// down (an upgrade of healer's own container), is started by the new healer. Before 3f37ccf a container
// whose policy brings it back was never started by healer at start-up.

function watchOf(info: ContainerInfo, now: number) {
  const result = policyFromLabels({ labels: info.labels, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const acted: string[] = [];
  const never: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
  const w = new ContainerWatch(info, result.policy, {
    probers: { http: never, tcp: never, exec: never },
    observer: NO_OBSERVER,
    clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined },
    log: pino({ level: 'silent' }),
    effects: {
      act: (_w, kind) => (acted.push(kind), Promise.resolve()),
      notify: () => undefined,
      context: () => ({ heldBy: undefined, paused: false }),
      changed: () => undefined,
    },
    route: (x) => ({ ok: true, target: { containerId: x.id, address: '127.0.0.1' } }),
    dryRun: false,
  });
  return { w, acted };
}

describe('review25c: a restart: always container found exited (code 1) when healer starts', () => {
  const now = 1_700_000_000_000;
  it.each(['always', 'unless-stopped'])('%s: left down (the engine left it down: someone stopped it), as on a resync', (policy) => {
    const info: ContainerInfo = {
      ...syntheticContainer(0, { 'healer.restart.on_exit': 'true' }),
      restartPolicy: policy,
      decidesRestartAtExit: true,
      running: false,
      restarting: false,
      exitCode: 1,
      startedAt: now - 60_000,
      finishedAt: now - 5_000,
    };
    const { w, acted } = watchOf(info, now);
    w.start();
    expect(acted).toEqual([]);
  });
});
