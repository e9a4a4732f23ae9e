import { describe, expect, it } from 'vitest';
import { worldsPerTest } from '../model/worlds.ts';

// Eleventh adversarial review: the real Watchdog on the model's in-memory Engine 20.10. Fails on the
// reviewed code.
//
// A `restart: always` container crashed (its die seen: healer has it `exited`); the engine's restart
// policy waits (its delay doubles from 100 ms up to a minute in a crash loop) and starts it again while
// healer's event stream is down (a socket proxy restarted, the stream cut). At the resync,
// discovery.ts update() feeds the RestartCount growth as `engine_restarts` (1) and then, since healer
// had it exited and it runs, `started`, which state-machine.ts onStarted counts once more as a
// restart-policy start (`s.lifecycle === 'exited' && rules.engineRestarts` → countEngineRestarts(1)).
// One restart of the engine is counted twice: crash loops are declared at half the restarts (and with
// `crashloop.action: giveup`, healer gives up early). README: "Counts restarts itself ... the engine's
// restart-policy die→start cycles seen in events, and RestartCount growth it missed"; "a restart healer
// already counted is not counted again".

const world = worldsPerTest();

describe('review11: an engine restart-policy start during an event-stream gap, after a crash healer saw', () => {
  it('is counted once', async () => {
    const w = await world();
    const c = w.engine.create('api', { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s' }, { restartPolicy: 'always' });
    // The engine restarted it 6 times before (its restart delay has doubled to 6.4 s): the next start is a while off.
    c.restartCount = 6;
    w.engine.startNow(c);
    await w.clock.advance(2_000, () => w.settle());
    expect(w.wd.watches.get(c.id)?.info.restartCount).toBe(6);
    w.engine.crash(c, 3); // die 3, seen: healer has it exited
    await w.settle();
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('exited');
    const before = w.wd.watches.get(c.id)?.state.budget.restarts.length ?? 0;
    // The stream breaks; meanwhile the restart policy starts it (RestartCount 6 → 7).
    await w.cut(() => {
      c.restartCount++;
      w.engine.startNow(c);
    });
    await w.clock.advance(1_000, () => w.settle());
    const watch = w.wd.watches.get(c.id);
    expect(watch?.state.lifecycle).toBe('running');
    expect((watch?.state.budget.restarts.length ?? 0) - before, 'restarts counted for the one engine restart').toBe(1);
  }, 30_000);
});
