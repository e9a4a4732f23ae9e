import { describe, expect, it } from 'vitest';
import { worldsPerTest } from '../model/worlds.ts';
import type { Kind } from '../model/harness.ts';
import { MAX_CONCURRENT, World } from '../model/harness.ts';

// Risk 1 of the last review: a restart that waits for a restart slot (guards.max_concurrent_restarts)
// is judged again when its turn comes (README, guards.max_concurrent_restarts). A container that
// recovered meanwhile (its probe passes again, or its HEALTHCHECK says healthy) no longer needs it:
// healer must not restart it. And a restart waiting for its backoff is dropped by a passing probe.

const newWorld = worldsPerTest();

async function world(restartMs: number): Promise<World> {
  const w = await newWorld();
  await w.killHealer();
  // Each restart takes `restartMs` to answer (an engine under load): the slots stay taken that long.
  w.patchEngine((engine) => {
    const original = engine.restart.bind(engine);
    engine.restart = async (id: string, timeoutMs: number) => {
      await new Promise<void>((resolve) => w.clock.view(-1).setTimeout(resolve, restartMs));
      return original(id, timeoutMs);
    };
  });
  await w.startHealer();
  return w;
}

describe('risk 1: a restart queued behind max_concurrent_restarts, for a container that recovered meanwhile', () => {
  it.each(['live', 'docker'] as Kind[])('is not sent (%s)', async (kind) => {
    const w = await world(5_000);
    const busy = Array.from({ length: MAX_CONCURRENT }, (_, i) => w.run(`busy${i}`, kind, 'ok'));
    const late = w.run('late', kind, 'ok');
    await w.clock.advance(3_000, () => w.settle());
    for (const c of busy) w.engine.setApp(c, 'hang');
    // The slots are taken before `late` fails: its restart waits for one.
    for (let i = 0; i < 60 && busy.some((c) => w.wd.watches.get(c.id)?.state.inFlight !== true); i++) await w.clock.advance(100, () => w.settle());
    await w.clock.advance(200, () => w.settle());
    w.engine.setApp(late, 'hang');
    for (let i = 0; i < 60 && w.wd.watches.get(late.id)?.state.inFlight !== true; i++) await w.clock.advance(100, () => w.settle());
    expect(w.wd.watches.get(late.id)?.state.inFlight, 'late restart decided, waiting for a slot').toBe(true);
    w.engine.setApp(late, 'ok'); // recovers while it waits
    await w.clock.advance(12_000, () => w.settle());
    expect(w.engine.actions.filter((a) => a.kind === 'restart').map((a) => a.id), 'the busy ones were restarted').toContain(busy[0]?.id);
    expect(w.engine.actions.filter((a) => a.id === late.id), 'late, recovered, not restarted').toEqual([]);
    expect(w.wd.watches.get(late.id)?.counts.restarts.liveness).toBe(0);
    // Judged healthy again, and still watched: failing later, it is restarted.
    w.engine.setApp(late, 'hang');
    await w.clock.advance(10_000, () => w.settle());
    expect(w.engine.actions.some((a) => a.kind === 'restart' && a.id === late.id), 'restarted when it fails again').toBe(true);
  }, 60_000);

  it('a restart waiting for its backoff is dropped when the probes pass again', async () => {
    const w = await world(0);
    const c = w.run('api', 'live', 'ok');
    await w.clock.advance(3_000, () => w.settle());
    w.engine.setApp(c, 'hang'); // restarts do not cure it: each restart after the first waits for its backoff
    for (let i = 0; i < 300 && w.wd.watches.get(c.id)?.state.pending === undefined; i++) await w.clock.advance(100, () => w.settle());
    expect(w.wd.watches.get(c.id)?.state.pending?.kind, 'a restart waits for its backoff').toBe('restart');
    const sent = w.engine.actions.filter((a) => a.id === c.id).length;
    w.engine.setApp(c, 'ok');
    await w.clock.advance(30_000, () => w.settle());
    expect(w.engine.actions.filter((a) => a.id === c.id), 'no restart after it recovered').toHaveLength(sent);
  }, 60_000);
});
