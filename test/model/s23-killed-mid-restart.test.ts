import { describe, expect, it } from 'vitest';
import type { World } from './harness.ts';
import { haltedMidRestart } from './restart-faults.ts';
import { worldsPerTest } from './worlds.ts';
import type { SimContainer } from './sim-engine.ts';

// healer killed (SIGKILL, OOM, a reboot of healer alone) while its restart of a container is under way:
// the engine carries out the stop half, the client's connection is gone, and the start half does not
// come (Docker's start runs on the request's context, cancelled with the connection; no restart policy
// applies after an API stop). The container stays down with the exit code of healer's own stop (143, or
// 137 after the grace), which the next healer reads as someone's stop: down for good, though nobody but
// healer stopped it. The start is now owed on disk before the restart is sent, and the next healer starts
// it, unless someone started it since (or it went down later than healer's stop could have ended).

const world = worldsPerTest();

/** A world whose first restart runs its stop half and never answers (healer is killed meanwhile). */
async function halted(): Promise<{ w: World; c: SimContainer; restarts: () => number }> {
  const w = await world();
  return { w, ...(await haltedMidRestart(w)) };
}

describe('s23: healer killed between its restart\'s stop and start halves', () => {
  it('the next healer starts the container its restart took down', async () => {
    const { w, c } = await halted();
    await w.clock.advance(5_000, () => w.settle());
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'started by the next healer').toBe(true);
  }, 30_000);

  it('not when someone started it after healer\'s stop (and it was stopped again)', async () => {
    const { w, c } = await halted();
    await w.clock.advance(2_000, () => w.settle());
    w.engine.startNow(c);
    await w.clock.advance(2_000, () => w.settle());
    w.engine.stopNow(c);
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'the operator\'s stop stands').toBe(false);
  }, 30_000);
});
