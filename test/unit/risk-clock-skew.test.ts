import { describe, expect, it } from 'vitest';
import { refusedStartThenNewHealer } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';

// Risk 4 of the last review: clock skew with a remote (tcp://) engine. healer compared the engine's
// StartedAt with its own clock (the state file's save time) to tell whether someone started a container
// since it last saved: with the engine's clock minutes ahead, the run healer's own restart took down
// looked started after the save, so the start healer owed was dropped and the container stayed down.
// Now the saved StartedAt (the engine's clock) is compared with the engine's. Also guarded: with the
// engine's clock ahead or behind, a start period, a crash loop and the on-exit start come out as without.

const world = worldsPerTest();

const SKEWS = [5 * 60_000, -5 * 60_000, -20 * 60_000];

describe('risk 4: an engine whose clock is off from healer\'s', () => {
  it.each(SKEWS)('skew %i ms: healer restarted while it owes a start still starts the container', async (skew) => {
    const w = await world();
    w.engine.skewMs = skew;
    await refusedStartThenNewHealer(w);
  }, 30_000);

  it.each(SKEWS)('skew %i ms: an on-exit container that keeps crashing is started, and its crash loop is found', async (skew) => {
    const w = await world();
    w.engine.skewMs = skew;
    const c = w.run('job', 'onexit', 'ok');
    await w.clock.advance(3_000, () => w.settle());
    w.alerts.splice(0);
    // Crashes 1 s after each start: more than 5 restarts in the 10 m window is a crash loop.
    for (let i = 0; i < 12; i++) {
      w.engine.crash(c, 1);
      for (let j = 0; j < 400 && !c.running; j++) await w.clock.advance(100, () => w.settle());
      await w.clock.advance(1_000, () => w.settle());
    }
    expect(w.engine.actions.filter((a) => a.id === c.id && a.kind === 'start').length, 'started after its crashes').toBeGreaterThanOrEqual(6);
    expect(w.alerts.some((a) => a.event === 'crashloop'), 'crash loop alerted').toBe(true);
  }, 60_000);

  it.each(SKEWS)('skew %i ms: a container failing its probes in its start period is not restarted before the period ends', async (skew) => {
    const w = await world();
    w.engine.skewMs = skew;
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2', 'healer.liveness.start_period': '30s' };
    const c = w.engine.create('slow', labels, { app: 'hang' });
    w.engine.startNow(c);
    await w.clock.advance(25_000, () => w.settle());
    expect(w.engine.actions.filter((a) => a.id === c.id), 'nothing in the start period').toEqual([]);
    await w.clock.advance(10_000, () => w.settle());
    expect(w.engine.actions.filter((a) => a.id === c.id).map((a) => a.kind), 'restarted after it').toContain('restart');
  }, 60_000);
});
