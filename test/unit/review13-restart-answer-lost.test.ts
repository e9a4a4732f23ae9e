import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/docker/engine.ts';
import { onRestart, startOnExitApi } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';

// Thirteenth adversarial review (of review 11 #3's fix, EventReader's late restart): the real Watchdog on
// the model's in-memory Engine 20.10. Fails on the reviewed code.
//
// A restart the engine carries out completely (kill, die, stop, start, restart: all seen while healer
// waits) but whose answer healer never gets (a proxy's 504, healer's own grace + 10 s deadline passing
// just as the engine finishes) is taken by EventReader.endAction(false) as a *late* restart: its kill was
// seen and no die was kept (the start that followed cleared it), so ownRestartEvents is set back to 1 and
// a closing `restart` event is awaited, though it has come already. healer's retry (the probes still fail)
// goes out within the 60 s window; its `restart` event is taken as the late one's, which leaves
// ownRestartEvents at 1 for good and startedSinceAction false. From then on every event of the container
// is "healer's": an operator's `docker stop` is swallowed whole (kill, die 143, stop), healer goes on
// taking the container for running, its probes fail, the restart it decides is skipped (not running),
// and the skip feeds the die it remembered, exit 143 read as a crash: `died: exited with code 143` is
// alerted and, with restart.on_exit, healer STARTS the container the operator stopped. README: "Clean
// exits and operator stops are left alone"; PRODUCT.md: an operator's stop is never undone.

const world = worldsPerTest();

describe('review13: a restart done by the engine whose answer was lost', () => {
  it('leaves a later docker stop of the operator alone (no died alert, not started again)', async () => {
    const w = await world();
    const restarts = await onRestart(w, ({ c, n, send }) => {
      if (n > 1) {
        // The retry: the app is well again after it.
        w.engine.setApp(c, 'ok');
        return send();
      }
      // The engine restarts it (the app still hangs) ... and its answer is lost on the way.
      w.engine.restartNow(c);
      return new Promise<void>((_, reject) => {
        w.clock.view(-1).setTimeout(() => reject(new EngineError(`restart ${c.id.slice(0, 12)}: the engine did not answer within 12s`, undefined, undefined)), 500);
      });
    });
    const c = await startOnExitApi(w);
    w.engine.setApp(c, 'hang');
    await w.clock.advance(15_000, () => w.settle());
    expect(restarts(), 'the restart, then its retry').toBe(2);
    expect(c.running).toBe(true);
    await w.clock.advance(5_000, () => w.settle());
    w.alerts.splice(0);

    // The operator stops it, well within the 60 s after the first restart's kill.
    w.engine.stopNow(c);
    await w.clock.advance(30_000, () => w.settle());
    expect.soft(w.alerts.filter((a) => a.event === 'died').map((a) => a.reason), 'an operator stop is no crash').toEqual([]);
    expect.soft(c.running, 'the container the operator stopped stays stopped').toBe(false);
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('stopped');
  }, 30_000);
});
