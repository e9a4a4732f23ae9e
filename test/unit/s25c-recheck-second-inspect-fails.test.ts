import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/docker/engine-error.ts';
import { MAX_CONCURRENT, World } from '../model/harness.ts';

// Review 25c's suspicion (pre-action.ts): after a failing liveness re-check of a restart that waited for a
// slot, the container is looked at again (a fresh inspect). When that inspect fails (an engine 500, a
// timeout), nothing has been sent, yet the error reached the actor's catch: a `restart_failed` alert, a
// failure counted and a retry after the backoff, as if the engine had refused a restart. healer is unsure
// then: it does nothing this time and the restart is held; the container's next liveness probe decides.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

describe("a failing inspect after a queued restart's failing re-check", () => {
  it('sends nothing, alerts no restart_failed, and holds the restart for the next probe', async () => {
    const w = await World.create();
    worlds.push(w);
    await w.killHealer();
    let failInspectOf: string | undefined;
    let failedInspects = 0;
    w.patchEngine((engine) => {
      const original = engine.restart.bind(engine);
      engine.restart = async (id: string, timeoutMs: number) => {
        await new Promise<void>((resolve) => w.clock.view(-1).setTimeout(resolve, 5_000));
        return original(id, timeoutMs);
      };
      const inspect = engine.inspect.bind(engine);
      engine.inspect = (id: string) => {
        if (id === failInspectOf) {
          failInspectOf = undefined;
          failedInspects++;
          return Promise.reject(new EngineError('inspect: HTTP 500: server error - context deadline exceeded', 500, undefined));
        }
        return inspect(id);
      };
    });
    await w.startHealer();
    const busy = Array.from({ length: MAX_CONCURRENT }, (_, i) => w.run(`busy${i}`, 'live', 'ok'));
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' };
    const late = w.engine.create('late', labels, { app: 'ok' });
    w.engine.startNow(late);
    await w.clock.advance(3_000, () => w.settle());
    for (const c of busy) w.engine.setApp(c, 'hang');
    for (let i = 0; i < 60 && busy.some((c) => w.wd.watches.get(c.id)?.state.inFlight !== true); i++) await w.clock.advance(100, () => w.settle());
    await w.clock.advance(200, () => w.settle());
    w.engine.setApp(late, 'hang');
    for (let i = 0; i < 60 && w.wd.watches.get(late.id)?.state.inFlight !== true; i++) await w.clock.advance(100, () => w.settle());
    expect(w.wd.watches.get(late.id)?.state.inFlight, 'late restart decided, waiting for a slot').toBe(true);

    // The re-check's probe fails; the inspect after it (the second look) fails with an engine 500.
    let rechecked = false;
    const probe = w.engine.probe.bind(w.engine);
    w.engine.probe = (id: string): boolean => {
      if (id === late.id && !rechecked && (new Error().stack ?? '').includes('passesNow')) {
        rechecked = true;
        failInspectOf = late.id;
        return false;
      }
      return probe(id);
    };
    for (let i = 0; i < 80 && w.wd.watches.get(late.id)?.state.inFlight !== false; i++) await w.clock.advance(100, () => w.settle());
    expect(rechecked, 'the re-check ran').toBe(true);
    expect(failedInspects, 'the second look failed').toBe(1);
    const watch = w.wd.watches.get(late.id);
    expect(watch?.state.inFlight, 'its turn came and went').toBe(false);
    expect(w.engine.actions.filter((a) => a.id === late.id), 'nothing sent').toEqual([]);
    expect(w.alerts.filter((a) => a.container?.name === 'late' && a.event === 'restart_failed'), 'no restart_failed: nothing was sent').toEqual([]);
    expect(watch?.counts.restartFailures.liveness, 'no failed restart counted').toBe(0);
    expect(watch?.state.pending?.recheckHeld, 'held for its next liveness probe').toBe(true);

    // Its next liveness probe (still failing) decides: the restart is sent.
    for (let i = 0; i < 100 && w.engine.actions.every((a) => a.id !== late.id); i++) await w.clock.advance(100, () => w.settle());
    expect(w.engine.actions.filter((a) => a.id === late.id).map((a) => a.kind)).toEqual(['restart']);
  }, 60_000);
});
