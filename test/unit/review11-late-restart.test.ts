import { describe, expect, it } from 'vitest';
import { runWatched, worldsPerTest } from '../model/worlds.ts';
import { EngineError } from '../../src/docker/engine.ts';
import type { World } from '../model/harness.ts';
import type { SimContainer } from '../model/sim-engine.ts';

// Eleventh adversarial review: the real Watchdog on the model's in-memory Engine 20.10. Fails on the
// reviewed code.
//
// A restart the engine does not answer within grace + 10 s is given up as `restart failed` (README),
// but the engine carries on: here the app ignores SIGTERM, the engine's SIGKILL comes after the grace,
// and the process dies only at 13 s (stuck in uninterruptible I/O, the usual reason an engine does not
// answer), when the engine finishes the restart: die 137, stop, start, restart. healer's retry (decided
// on the next failed probe) waits behind it at the engine. EventReader.endAction(false) dropped the
// first restart's expected events (ownRestartEvents = 0), so the late ones are counted against the
// retry's: its `restart` event is taken as the retry's, the retry's own SIGTERM then reads as someone
// else's stop signal, its die as an operator's stop, and its start does not clear that (the defect of
// review11-answer-late.test.ts): healer ends up seeing the running container as `stopped`, and never
// probes or heals it again (first test). When healer's retry is not in flight yet (second test), the late
// die 137 is alerted as a crash, `died: exited with code 137`, of a container healer itself killed.

const world = worldsPerTest();

async function lateRestart(labels: Record<string, string>): Promise<{ w: World; c: SimContainer; restarts: () => number }> {
  const w = await world();
  await w.killHealer();
  let restarts = 0;
  let finished: () => void = () => undefined;
  const late = new Promise<void>((resolve) => (finished = resolve));
  w.patchEngine((engine) => {
    const original = engine.restart.bind(engine);
    engine.restart = (id: string, timeoutMs: number) => {
      restarts++;
      // A second restart waits, as the engine's does, for the stuck process of the first.
      if (restarts > 1) return late.then(() => original(id, timeoutMs));
      const c = w.engine.containers.get(id);
      if (!c) throw new Error('no such container');
      const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void };
      // docker restart -t 2: SIGTERM now, which the app ignores; the engine is slow to SIGKILL it.
      eng.emit(c, 'kill', { signal: '15' });
      return new Promise<void>((_, reject) => {
        // healer gives up at grace + 10 s (12 s) ...
        w.clock.view(-1).setTimeout(() => reject(new EngineError(`restart ${id.slice(0, 12)}: the engine did not answer within 12s`, undefined, undefined)), 12_000);
        // SIGKILL after the grace; the process is stuck in uninterruptible I/O (D state) ...
        w.clock.view(-1).setTimeout(() => eng.emit(c, 'kill', { signal: '9' }), 2_000);
        // ... and dies at 13 s, when the engine finishes the restart: die 137, stop, start, restart.
        w.clock.view(-1).setTimeout(() => {
          w.engine.setApp(c, 'ok');
          (w.engine as unknown as { down(c: unknown, code: number): void }).down(c, 137);
          eng.emit(c, 'stop');
          w.engine.startNow(c);
          eng.emit(c, 'restart');
          finished();
        }, 13_000);
      });
    };
  });
  await w.startHealer();
  const c = await runWatched(w, 'api', labels);
  w.engine.setApp(c, 'hang');
  await w.clock.advance(30_000, () => w.settle());
  return { w, c, restarts: () => restarts };
}

const LIVE = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' };

describe('review11: a restart the engine carries out after healer stopped waiting for its answer', () => {
  it('with the retry waiting behind it: healer sees the running container as running', async () => {
    const { w, c, restarts } = await lateRestart(LIVE);
    expect(restarts(), 'the first restart, then its retry after the failure').toBe(2);
    expect(c.running).toBe(true);
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('running');
  }, 30_000);

  it('with the retry not yet due (backoff.initial 20s): the late exit of the restart is not alerted as a crash', async () => {
    const { w, c } = await lateRestart({ ...LIVE, 'healer.backoff.initial': '20s' });
    expect(c.running).toBe(true);
    expect(w.alerts.filter((a) => a.event === 'died').map((a) => a.reason)).toEqual([]);
  }, 30_000);
});
