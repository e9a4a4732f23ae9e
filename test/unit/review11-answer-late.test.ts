import { describe, expect, it } from 'vitest';
import type { World } from '../model/harness.ts';
import { onRestart } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';
import type { SimContainer } from '../model/sim-engine.ts';

// Eleventh adversarial review: the real Watchdog on the model's in-memory Engine 20.10. Fails on the
// reviewed code.
//
// The answer to healer's restart and the engine's events come over two connections, and nothing orders
// them: a healer whose event loop was busy (a scrape, a GC pause, a socket proxy relaying the answer)
// reads events of what happened after the restart before the restart's answer. EventReader keeps "how
// the new run went down while healer's action was still being answered" (downWhileActing) for exactly
// that, but a `start` that follows it while healer still waits is taken for healer's own and does not
// clear it (event-reader.ts, case 'start': `if (ours) { startedSinceAction = true; ... }`). When the
// answer arrives, Actor.act feeds that stale down (actor.ts: `if (down) w.feed(down)`): healer takes a
// running container for exited (or stopped), never probes it again (ContainerWatch.tick needs
// `running`), and never heals it, until someone stops and starts it by hand.
//
// Triggers: (1) a `restart: always` container whose new run crashes at once (a crash-looping app, the
// very case healer restarts) and which the engine's restart policy starts again 100 ms later; (2) an
// operator's `docker restart` (or stop + start, compose restart) just after healer's.

const world = worldsPerTest();

/** healer's first restart is carried out at once, `then` happens, and the answer comes 500 ms later. */
async function lateAnswer(then: (w: World, c: SimContainer) => void): Promise<{ w: World; c: SimContainer; restarts: () => number }> {
  const w = await world();
  const restarts = await onRestart(w, ({ c, n, send }) => {
    if (n > 1) return send();
    w.engine.restartNow(c); // kill, die, stop, start, restart: healer's restart, done
    then(w, c);
    return new Promise<void>((resolve) => w.clock.view(-1).setTimeout(resolve, 500));
  });
  await w.startHealer();
  const c = w.run('api', 'policy', 'ok'); // restart: always, a TCP liveness probe every 1 s, 2 failures
  await w.clock.advance(3_000, () => w.settle());
  w.engine.setApp(c, 'hang');
  await w.clock.advance(4_000, () => w.settle());
  expect(restarts(), 'healer restarted the failing container').toBe(1);
  return { w, c, restarts };
}

describe("review11: events of what followed healer's restart, read before the restart's answer", () => {
  it('a new run that crashed at once and was started again by the restart policy is running, probed and healed', async () => {
    const { w, c, restarts } = await lateAnswer((world, cont) => {
      world.engine.setApp(cont, 'ok');
      world.engine.crash(cont, 3); // die 3; the restart policy starts it 100 ms later
    });
    await w.clock.advance(2_000, () => w.settle());
    expect(c.running).toBe(true);
    expect(w.wd.watches.get(c.id)?.state.lifecycle, 'healer sees the running container as').toBe('running');
    // It hangs again: healer restarts it (after its 2 s backoff).
    w.engine.setApp(c, 'hang');
    await w.clock.advance(30_000, () => w.settle());
    expect(restarts(), 'restarts of the hanging container').toBeGreaterThanOrEqual(2);
  }, 30_000);

  it("an operator's `docker restart` right after healer's leaves a running container healer probes and heals", async () => {
    const { w, c, restarts } = await lateAnswer((world, cont) => {
      world.engine.setApp(cont, 'ok');
      world.engine.restartNow(cont); // the operator's restart: kill 15, die 143, stop, start, restart
    });
    await w.clock.advance(2_000, () => w.settle());
    expect(c.running).toBe(true);
    expect(w.wd.watches.get(c.id)?.state.lifecycle, 'healer sees the running container as').toBe('running');
    w.engine.setApp(c, 'hang');
    await w.clock.advance(30_000, () => w.settle());
    expect(restarts(), 'restarts of the hanging container').toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('control: with nothing after the restart, the same harness sees it running and heals it again', async () => {
    const { w, c, restarts } = await lateAnswer((world, cont) => world.engine.setApp(cont, 'ok'));
    await w.clock.advance(2_000, () => w.settle());
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('running');
    w.engine.setApp(c, 'hang');
    await w.clock.advance(30_000, () => w.settle());
    expect(restarts()).toBeGreaterThanOrEqual(2);
  }, 30_000);
});
