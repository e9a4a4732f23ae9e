// Review 16 (adversarial review of owed-write.ts oweStart, a5e82bc / 62b4f98).
// Trigger: several containers fail at once (more than guards.max_concurrent_restarts); one restart waits
//   for a slot, and meanwhile that container is removed (`docker rm -f`, `compose up -d` re-creating it):
//   its destroy is read, Discovery.forget deletes its state-file entry. Then a slot frees.
// Observed: the waiting restart runs perform(): oweStart() does state.set(w.id, ...) for the removed
//   container (no check that its entry is gone, unlike owedTakenBack since 62b4f98), the inspect says
//   gone, and owedTakenBack sees the entry (just re-added) and writes it again. The removed container's
//   entry (lifecycle 'restarting', an owed start) stays in the state file until healer restarts
//   (StateFile.retain runs at start only): one stale entry per such removal, for as long as healer runs.
// Expected: a container whose destroy was handled has no state-file entry afterwards.
import { describe, expect, it } from 'vitest';
import { worldsPerTest } from '../model/worlds.ts';
import { MAX_CONCURRENT } from '../model/harness.ts';

const world = worldsPerTest();

describe('review 16: a restart waiting for a slot, its container removed meanwhile', () => {
  it('does not put the removed container back in the state file', async () => {
    expect(MAX_CONCURRENT).toBe(2);
    const w = await world();
    // Restarts are held (an engine taking its time) until released.
    const held: (() => void)[] = [];
    const asked = new Set<string>();
    w.patchEngine((engine) => {
      const restart = engine.restart.bind(engine);
      engine.restart = (id: string, t: number) => asked.add(id) && new Promise<void>((resolve, reject) => void held.push(() => void restart(id, t).then(resolve, reject)));
    });
    await w.killHealer();
    await w.startHealer();
    const cs = [w.run('a', 'live', 'ok'), w.run('b', 'live', 'ok'), w.run('c', 'live', 'ok')];
    await w.advance(3_000);
    for (const c of cs) w.engine.setApp(c, 'hang');
    const decided = () => cs.filter((c) => w.wd.watches.get(c.id)?.state.inFlight === true).length;
    for (let i = 0; i < 200 && (decided() < 3 || held.length < 2); i++) await w.clock.advance(100, () => w.settle());
    expect(decided(), 'all three restarts decided').toBe(3);
    expect(held.length, 'two sent (slots full)').toBe(2);
    const waiting = cs.find((c) => !asked.has(c.id));
    expect(waiting, 'one restart waits for a slot').toBeDefined();
    const c = waiting!;
    // The operator removes the waiting one; its destroy is read and handled.
    w.engine.remove(c);
    await w.clock.advance(100, () => w.settle());
    expect(w.wd.watches.has(c.id), 'unwatched after its destroy').toBe(false);
    expect(w.state.get(c.id), 'its entry deleted at the destroy').toBeUndefined();
    // A slot frees: the waiting restart takes its turn and finds the container gone.
    held.shift()!();
    for (let i = 0; i < 20; i++) await w.clock.advance(100, () => w.settle());
    expect(w.state.get(c.id), 'the removed container is back in the state file').toBeUndefined();
    for (const release of held.splice(0)) release();
    await w.clock.advance(100, () => w.settle());
  }, 30_000);
});
