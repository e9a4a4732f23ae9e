// A stop found at a resync (the event stream was down when it happened: a proxy restart, the engine's
// API restarting) ended the container's open alerts at once (take-inspect.ts), while a stop seen live
// ends them only once the container has stayed stopped for 5 s (stop-end.ts), because a `docker restart`
// (compose restart, podman restart) stops it too and only the start that follows tells them apart.
// Trigger: a crash-looping container (`crashloop` open); the event stream drops; the on-call engineer
//   runs `docker restart api`, and healer's resync lands between its stop and its start.
// Observed on main: the open alerts are ended at the resync (Alertmanager resolves HealerCrashLoop) and
//   the loop closed, though the container was down for an instant; the next restart healer makes, the
//   window still full, pages `crashloop` a second time for the same loop.
// Expected: as for a live stop, the end waits 5 s and is dropped by the start; a container found down
//   that stays down has its alerts ended 5 s after the resync.
import { describe, expect, it } from 'vitest';
import { worldsPerTest } from '../model/worlds.ts';
import type { World } from '../model/harness.ts';
import type { SimContainer } from '../model/sim-engine.ts';

const world = worldsPerTest();

async function crashLooping(): Promise<{ w: World; c: SimContainer; loops: () => number }> {
  const w = await world();
  const c = w.run('api', 'live', 'ok');
  await w.clock.advance(3_000, () => w.settle());
  w.engine.setApp(c, 'hang'); // restarts never cure it
  const loops = (): number => w.alerts.filter((a) => a.container?.id === c.id && a.event === 'crashloop').length;
  for (let i = 0; i < 1200 && loops() === 0; i++) await w.clock.advance(100, () => w.settle());
  expect(loops(), 'the crash loop is alerted').toBe(1);
  expect(w.wd.watches.get(c.id)?.state.budget.loop).toBe('open');
  await w.clock.advance(1_000, () => w.settle());
  return { w, c, loops };
}

describe('s24: a stop found at a resync ends open alerts as a live stop does', () => {
  it('an operator restart caught between its halves by the resync ends nothing', async () => {
    const { w, c, loops } = await crashLooping();
    await w.cut(() => w.engine.stopNow(c));
    expect(c.running, 'found down at the resync').toBe(false);
    await w.clock.advance(500, () => w.settle());
    w.engine.startNow(c); // the restart's start half
    await w.clock.advance(60_000, () => w.settle());
    expect(c.running).toBe(true);
    expect(w.stopsEnded.includes(c.id), 'its open alerts were not ended by a restart').toBe(false);
    expect(loops(), 'one crashloop alert for one unbroken loop').toBe(1);
  }, 60_000);

  it('a container found down that stays down has its alerts ended 5 s later', async () => {
    const { w, c } = await crashLooping();
    await w.cut(() => w.engine.stopNow(c));
    expect(w.stopsEnded.includes(c.id), 'not at once').toBe(false);
    await w.clock.advance(6_000, () => w.settle());
    expect(c.running).toBe(false);
    expect(w.stopsEnded.filter((id) => id === c.id), 'ended once it stayed stopped').toHaveLength(1);
    expect(w.wd.watches.get(c.id)?.state.budget.loop, 'its crash loop closed').not.toBe('open');
  }, 60_000);
});
