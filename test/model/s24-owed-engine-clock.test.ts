import { describe, expect, it } from 'vitest';
import type { World } from './harness.ts';
import { haltedMidRestart } from './restart-faults.ts';
import { worldsPerTest } from './worlds.ts';
import type { SimContainer } from './sim-engine.ts';

// healer killed mid-restart, with a remote engine whose clock is off from healer's by more than the
// owed start's window (the restart's grace plus the engine's answer time). The next healer judged
// "went down in that window" by comparing the engine's FinishedAt with the send time on healer's own
// clock: with the engine 10 minutes ahead or behind, the container its restart took down was left down;
// and with the engine behind, an operator's stop minutes after healer died fell inside the window and
// was undone by a start. The send time is now also written on the engine's clock (read from the HTTP Date
// header of a ping just before the restart) and compared on that clock.

const world = worldsPerTest();

/** A world (the engine's clock `skewMs` off) whose first restart never answers (healer is killed meanwhile). */
async function halted(skewMs: number, stopHalfRuns: boolean): Promise<{ w: World; c: SimContainer }> {
  const w = await world();
  w.engine.skewMs = skewMs;
  return { w, ...(await haltedMidRestart(w, stopHalfRuns)) };
}

const SKEWS = [10 * 60_000, -10 * 60_000];

describe('s24: the owed start of a restart cut by healer\'s death, with the engine\'s clock off', () => {
  it.each(SKEWS)('skew %i ms: the next healer starts the container its restart took down', async (skew) => {
    const { w, c } = await halted(skew, true);
    await w.clock.advance(5_000, () => w.settle());
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'started by the next healer').toBe(true);
  }, 30_000);

  it.each([...SKEWS, -5 * 60_000])('skew %i ms: an operator\'s stop minutes after healer died (its restart never reached the engine) stands', async (skew) => {
    const { w, c } = await halted(skew, false);
    // 5 minutes on healer's clock after the restart was sent: far past its window on the engine's clock.
    await w.clock.advance(5 * 60_000, () => w.settle());
    w.engine.stopNow(c);
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'the operator\'s stop stands').toBe(false);
    expect(w.engine.actions.filter((a) => a.id === c.id && a.kind === 'start'), 'nothing started').toEqual([]);
  }, 30_000);
});
