import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/docker/engine.ts';
import { startOnExitApi } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';

// Thirteenth adversarial review (the skipped-action path of review 11 #11's fix, actor.ts): the real
// Watchdog on the model's in-memory Engine 20.10. Fails on the reviewed code.
//
// healer's on-exit start of a crashed container is carried out by the engine (its `start` event comes
// while healer waits, so EventReader takes it for healer's own and feeds nothing), but the answer is lost
// (a proxy's 504, a reset connection). The failure is `restart failed` with a start retried after the
// backoff, the state stays `exited`. The retry's fresh inspect finds the container running, so it is
// skipped: restart_done skipped leaves `exited` as it is (only `restarting` becomes `running`), and the
// actor feeds nothing for a container found running (only paused, unhealthy by HEALTHCHECK, or down).
// healer now takes a running container for exited for good: every probe result is dropped as stale, so
// when the app hangs later it is never found unhealthy nor restarted (README: a failing liveness probe
// restarts the container).

const world = worldsPerTest();

describe('review13: an on-exit start done by the engine whose answer was lost', () => {
  it('the running container is probed and healed again', async () => {
    const w = await world();
    await w.killHealer();
    let starts = 0;
    let restarts = 0;
    w.patchEngine((engine) => {
      const original = engine.start.bind(engine);
      const restart = engine.restart.bind(engine);
      engine.restart = (id: string, timeoutMs: number) => {
        restarts++;
        return restart(id, timeoutMs);
      };
      engine.start = (id: string) => {
        starts++;
        if (starts > 1) return original(id);
        const c = w.engine.containers.get(id);
        if (!c) throw new Error('no such container');
        // The engine starts it ... and the answer is lost on the way.
        w.engine.startNow(c);
        return new Promise<void>((_, reject) => {
          w.clock.view(-1).setTimeout(() => reject(new EngineError(`start ${id.slice(0, 12)}: socket hang up`, undefined, undefined)), 500);
        });
      };
    });
    const c = await startOnExitApi(w);
    w.engine.crash(c, 1);
    await w.clock.advance(20_000, () => w.settle());
    expect(starts, 'the on-exit start').toBeGreaterThanOrEqual(1);
    expect(c.running).toBe(true);
    expect.soft(w.wd.watches.get(c.id)?.state.lifecycle, 'healer knows it runs').toBe('running');

    // Later the app hangs: its liveness probes fail and healer restarts it.
    w.engine.setApp(c, 'hang');
    await w.clock.advance(20_000, () => w.settle());
    expect(restarts, 'the hung container is restarted').toBeGreaterThanOrEqual(1);
  }, 30_000);
});
