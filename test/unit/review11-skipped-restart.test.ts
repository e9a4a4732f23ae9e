import { describe, expect, it } from 'vitest';
import { slowInspect } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';

// Eleventh adversarial review: the real Watchdog on the model's in-memory Engine 20.10. Fails on the
// reviewed code.
//
// A restart is counted when it is decided (state-machine.ts decide → recordRestarts: restarts in the
// window, backoff level, lastRestartAt), before the actor's fresh inspect. When that inspect finds the
// container no longer in the state that called for it (paused for a backup, stopped by an operator,
// being restarted by the engine, gone) the restart is skipped, and the actor feeds
// `restart_done ok: true` (actor.ts, "Not done because the container changed meanwhile"), so the
// restart that never happened stays counted as healer's: it raises the backoff of the next real one,
// counts towards a crash loop (with `crashloop.action: giveup`, towards giving up), and shows in
// /api/status and healer_container_restarts_in_window, while healer_restarts_total says 0. README: a
// restart decided before the pause "is dropped"; "Counts restarts itself ... its own, the engine's
// restart-policy die→start cycles" (a refused restart is uncounted: onActionDone slices it off; a
// skipped one is not). Trigger: `docker pause` (a backup) while the restart waits for its inspect or
// for a restart slot (guards.max_concurrent_restarts), then unpause.

const world = worldsPerTest();

describe('review11: a restart skipped because the container was paused meanwhile', () => {
  it('is not counted as a restart healer made', async () => {
    const w = await world();
    // The actor's inspect before the restart is slow (a loaded engine): 500 ms.
    const slow = await slowInspect(w, 500);
    await w.startHealer();
    const c = w.run('api', 'live', 'ok');
    await w.clock.advance(3_000, () => w.settle());
    const actionsBefore = w.engine.actions.length;
    slow.id = c.id;
    w.engine.setApp(c, 'hang');
    // Two failed probes (1 s apart): the restart is decided, and waits for its inspect.
    for (let i = 0; i < 40 && w.wd.watches.get(c.id)?.state.inFlight !== true; i++) await w.clock.advance(100, () => w.settle());
    expect(w.wd.watches.get(c.id)?.state.inFlight, 'restart decided').toBe(true);
    w.engine.pause(c); // the nightly backup pauses it
    await w.clock.advance(1_000, () => w.settle());
    slow.id = '';
    expect(w.engine.actions.slice(actionsBefore), 'healer sent nothing to the engine').toEqual([]);
    const watch = w.wd.watches.get(c.id);
    expect(watch?.counts.restarts.liveness, 'healer_restarts_total').toBe(0);
    expect(watch?.state.budget.restarts, 'restarts healer counts in the crash-loop window').toEqual([]);
    expect(watch?.state.budget.level, 'backoff level').toBe(0);
  }, 30_000);
});
