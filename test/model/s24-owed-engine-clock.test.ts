import { afterEach, describe, expect, it } from 'vitest';
import type { SimContainer } from './sim-engine.ts';
import { World } from './harness.ts';

// healer killed mid-restart, with a remote engine whose clock is off from healer's by more than the
// owed start's window (the restart's grace plus the engine's answer time). The next healer judged
// "went down in that window" by comparing the engine's FinishedAt with the send time on healer's own
// clock: with the engine 10 minutes ahead or behind, the container its restart took down was left down;
// and with the engine behind, an operator's stop minutes after healer died fell inside the window and
// was undone by a start. The send time is now also written on the engine's clock (read from the HTTP Date
// header of a ping just before the restart) and compared on that clock.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

type Eng = { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };

/**
 * A world whose first restart never answers (healer is killed meanwhile); `stopHalf`: the engine runs its
 * stop half first, otherwise the restart never reached the container.
 */
async function haltedMidRestart(skewMs: number, stopHalf: boolean): Promise<{ w: World; c: SimContainer }> {
  const w = await World.create();
  worlds.push(w);
  w.engine.skewMs = skewMs;
  await w.killHealer();
  let restarts = 0;
  w.patchEngine((engine) => {
    const original = engine.restart.bind(engine);
    engine.restart = (id: string, timeoutMs: number) => {
      restarts++;
      if (restarts > 1) return original(id, timeoutMs);
      const c = w.engine.containers.get(id);
      if (!c) throw new Error('no such container');
      if (stopHalf) {
        const eng = w.engine as unknown as Eng;
        eng.emit(c, 'kill', { signal: '15' });
        eng.down(c, 143);
        eng.emit(c, 'stop');
      }
      return new Promise<void>(() => undefined);
    };
  });
  await w.startHealer();
  const c = w.run('api', 'live', 'ok');
  await w.clock.advance(3_000, () => w.settle());
  w.engine.setApp(c, 'hang');
  for (let i = 0; i < 50 && restarts === 0; i++) await w.clock.advance(100, () => w.settle());
  expect(restarts, 'healer sent its restart').toBe(1);
  expect(c.running).toBe(!stopHalf);
  await w.killHealer();
  w.engine.setApp(c, 'ok');
  return { w, c };
}

const SKEWS = [10 * 60_000, -10 * 60_000];

describe('s24: the owed start of a restart cut by healer\'s death, with the engine\'s clock off', () => {
  it.each(SKEWS)('skew %i ms: the next healer starts the container its restart took down', async (skew) => {
    const { w, c } = await haltedMidRestart(skew, true);
    await w.clock.advance(5_000, () => w.settle());
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'started by the next healer').toBe(true);
  }, 30_000);

  it.each([...SKEWS, -5 * 60_000])('skew %i ms: an operator\'s stop minutes after healer died (its restart never reached the engine) stands', async (skew) => {
    const { w, c } = await haltedMidRestart(skew, false);
    // 5 minutes on healer's clock after the restart was sent: far past its window on the engine's clock.
    await w.clock.advance(5 * 60_000, () => w.settle());
    w.engine.stopNow(c);
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'the operator\'s stop stands').toBe(false);
    expect(w.engine.actions.filter((a) => a.id === c.id && a.kind === 'start'), 'nothing started').toEqual([]);
  }, 30_000);
});
