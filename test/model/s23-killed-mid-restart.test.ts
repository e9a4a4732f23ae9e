import { afterEach, describe, expect, it } from 'vitest';
import type { SimContainer } from './sim-engine.ts';
import { World } from './harness.ts';

// healer killed (SIGKILL, OOM, a reboot of healer alone) while its restart of a container is under way:
// the engine carries out the stop half, the client's connection is gone, and the start half does not
// come (Docker's start runs on the request's context, cancelled with the connection; no restart policy
// applies after an API stop). The container stays down with the exit code of healer's own stop (143, or
// 137 after the grace), which the next healer reads as someone's stop: down for good, though nobody but
// healer stopped it. The start is now owed on disk before the restart is sent, and the next healer starts
// it, unless someone started it since (or it went down later than healer's stop could have ended).

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

type Eng = { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };

/** A world whose first restart runs its stop half and never answers (healer is killed meanwhile). */
async function haltedMidRestart(): Promise<{ w: World; c: SimContainer; restarts: () => number }> {
  const w = await World.create();
  worlds.push(w);
  await w.killHealer();
  let restarts = 0;
  w.patchEngine((engine) => {
    const original = engine.restart.bind(engine);
    engine.restart = (id: string, timeoutMs: number) => {
      restarts++;
      if (restarts > 1) return original(id, timeoutMs);
      const c = w.engine.containers.get(id);
      if (!c) throw new Error('no such container');
      const eng = w.engine as unknown as Eng;
      eng.emit(c, 'kill', { signal: '15' });
      eng.down(c, 143);
      eng.emit(c, 'stop');
      return new Promise<void>(() => undefined);
    };
  });
  await w.startHealer();
  const c = w.run('api', 'live', 'ok');
  await w.clock.advance(3_000, () => w.settle());
  w.engine.setApp(c, 'hang');
  for (let i = 0; i < 50 && restarts === 0; i++) await w.clock.advance(100, () => w.settle());
  expect(restarts, 'healer sent its restart; the stop half ran').toBe(1);
  expect(c.running).toBe(false);
  await w.killHealer();
  w.engine.setApp(c, 'ok');
  return { w, c, restarts: () => restarts };
}

describe('s23: healer killed between its restart\'s stop and start halves', () => {
  it('the next healer starts the container its restart took down', async () => {
    const { w, c } = await haltedMidRestart();
    await w.clock.advance(5_000, () => w.settle());
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'started by the next healer').toBe(true);
  }, 30_000);

  it('not when someone started it after healer\'s stop (and it was stopped again)', async () => {
    const { w, c } = await haltedMidRestart();
    await w.clock.advance(2_000, () => w.settle());
    w.engine.startNow(c);
    await w.clock.advance(2_000, () => w.settle());
    w.engine.stopNow(c);
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'the operator\'s stop stands').toBe(false);
  }, 30_000);
});
