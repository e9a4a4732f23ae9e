import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';
import { takeInspect } from '../../src/watchdog/take-inspect.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Review 25d. Variant of review25c-stop-in-backoff that 5f2516c (verdict read once) does not cover:
// the engine answers late. A restart: always container with on_exit crashes; healer sees the die live
// and asks for the inspect that reads Docker's verdict, but the loaded engine fails it (a 500, a
// timeout: inspect-retry.ts looks again later). Docker is restarting the container (its restart delay,
// up to 1 min in a crash loop). The operator runs `docker stop` meanwhile: Docker cancels the restart,
// the container stays exited with the SAME FinishedAt, and sends a `stop` only; the stream drops (the
// same load) and that `stop` is lost. The first inspect data healer ever gets for this exit is the
// resync's, 30 s later: down, not restarting, FinishedAt = the die's. ExitVerdict takes it as the
// engine's verdict ("left it down") and healer starts the container the operator stopped. Data read
// that long after the die cannot tell the engine's give-up from someone's stop (README on_exit: such an
// exit is alerted and left down).

function watchOf(info: ContainerInfo) {
  const result = policyFromLabels({ labels: info.labels, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const acted: string[] = [];
  const never: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
  let now = 1_000_000;
  const clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined };
  const w = new ContainerWatch(info, result.policy, {
    probers: { http: never, tcp: never, exec: never },
    observer: NO_OBSERVER,
    clock,
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
  return { w, acted, clock, tick: (ms: number) => (now += ms) };
}

describe('review25d: the verdict inspect after a crash fails, an operator stops the container in the restart delay, the stop event is lost', () => {
  const running: ContainerInfo = { ...syntheticContainer(0, { 'healer.restart.on_exit': 'true' }), restartPolicy: 'always', decidesRestartAtExit: true, startedAt: 5_000, finishedAt: 0 };

  it('is not started on the resync, the first data of that exit healer reads', () => {
    const { w, acted, clock, tick } = watchOf(running);
    w.start();
    w.exits.seen('start', 5_000);
    // The crash, seen live (engine time 9 s); the inspect asked for after it fails (engine loaded).
    w.exits.seen('die', 9_000);
    w.feed({ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: tick(100) });
    expect(acted).toEqual([]);
    // docker stop during the restart delay (no new exit: FinishedAt unchanged); its `stop` lost with the
    // stream. The reconnect's resync, 30 s on, is the first inspect answered for this exit:
    tick(30_000);
    const deps = { clock, alerter: undefined, afterUnpause: { unpaused: () => undefined }, persist: () => undefined };
    takeInspect(w, { ...running, running: false, restarting: false, exitCode: 3, finishedAt: 9_000 }, true, deps);
    expect(acted).toEqual([]);
  });
});
