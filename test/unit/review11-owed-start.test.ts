import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/docker/engine.ts';
import { World } from '../model/harness.ts';

// Eleventh adversarial review: the real Watchdog (two processes, one state file) on the model's in-memory
// Engine 20.10. Fails on the reviewed code.
//
// README: "A restart whose stop ran and whose start was refused left the container down because of
// healer: a start is retried (no died alert)." That owed start lives only in memory (the pending retry);
// the state file keeps `lifecycle: exited` and no exit (state-machine.ts onActionDone: lifecycle
// `exited`, lastExit untouched). When healer itself restarts before the retry (an upgrade, its own
// crash, `docker compose up -d` of healer's stack, SIGKILL), the new process finds the container exited
// with the code healer's own stop left (143, or 137 after the grace) and exits.ts exitToResume reads
// that as someone's stop: the container healer took down stays down for good, though nobody stopped it.
// Trigger: a restart whose start the engine refuses once (a host port still held for a moment by the
// old process, a socket proxy that allows restart but the start fails), and healer restarted within
// the retry's backoff (10 s by default, growing).

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

describe("review11: healer restarted while it owes the start of a container its own restart took down", () => {
  it('the new healer starts it', async () => {
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
        // The stop half runs (kill 15, die 143, stop); the start half is refused: the port is still taken.
        const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };
        eng.emit(c, 'kill', { signal: '15' });
        eng.down(c, 143);
        eng.emit(c, 'stop');
        return new Promise<void>((_, reject) =>
          setImmediate(() => reject(new EngineError(`restart ${id.slice(0, 12)} failed with HTTP 500: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated`, 500, undefined))),
        );
      };
    });
    await w.startHealer();
    const c = w.run('api', 'live', 'ok');
    await w.clock.advance(3_000, () => w.settle());
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 50 && restarts === 0; i++) await w.clock.advance(100, () => w.settle());
    expect(restarts, 'healer restarted it; the start half was refused').toBe(1);
    expect(c.running).toBe(false);
    expect(w.wd.watches.get(c.id)?.state.pending?.kind, 'a start is owed').toBe('start');
    // healer is restarted before its retry (backoff.initial 2 s in the model).
    await w.killHealer();
    w.engine.setApp(c, 'ok');
    await w.startHealer();
    await w.clock.advance(20_000, () => w.settle());
    expect(c.running, 'started again by the new healer').toBe(true);
  }, 30_000);
});
