import { describe, expect, it } from 'vitest';
import type { MatchBudget } from '../../src/watchdog/match-budget.ts';
import { queuedRestart, worldsPerTest } from '../model/worlds.ts';

// Session 25, item 1, through the whole watchdog and actor over the in-memory engine (the unit test
// s25-recheck-budget.test.ts has the real HTTP prober). Trigger: a container labelled
// healer.liveness.body=…, over its share of healer's time for body matching, whose liveness fails while
// its restart waits for a slot (guards.max_concurrent_restarts, the slots held by slow restarts). On main
// the re-check at its turn probed it outside the budget (and, failing, the restart was sent). Expected:
// no probe of it while it is over its share; the restart is held, not sent; the next liveness probe,
// once it is within its share, decides: here the app passes by then, so it is never restarted.

const newWorld = worldsPerTest();

describe('s25: a queued restart whose re-check the match budget refuses is held for the next probe', () => {
  it('not probed outside the budget, not restarted on a result it did not get; a later pass recovers it', async () => {
    const w = await newWorld();
    const { late } = await queuedRestart(w, { body: true });
    expect(w.wd.watches.get(late.id)?.state.inFlight, 'late restart decided, waiting for a slot').toBe(true);

    // Its matching so far is over its share: 600 ms at 5% is paid 12 s from now.
    const budget = (w.wd as unknown as { matchBudget: MatchBudget }).matchBudget;
    budget.ended(late.id, w.clock.now(), 600);
    let probed = 0;
    const probe = w.engine.probe.bind(w.engine);
    w.engine.probe = (id: string): boolean => {
      if (id === late.id) probed++;
      return probe(id);
    };
    // The slots free after the busy restarts' 5 s: its turn comes, and goes, within the 12 s.
    for (let i = 0; i < 80; i++) await w.clock.advance(100, () => w.settle());
    expect(probed, 'not probed while over its share').toBe(0);
    expect(w.wd.watches.get(late.id)?.state.inFlight, 'its turn came and went').toBe(false);
    expect(w.engine.actions.filter((a) => a.id === late.id), 'nor restarted on a re-check it did not get').toEqual([]);
    expect(w.wd.watches.get(late.id)?.counts.probes.liveness.delayed).toBeGreaterThan(0);

    // The app is fine by the time it is within its share again: its next probe passes, and it is never restarted.
    w.engine.setApp(late, 'ok');
    for (let i = 0; i < 100; i++) await w.clock.advance(100, () => w.settle());
    expect(probed).toBeGreaterThan(0);
    expect(w.wd.watches.get(late.id)?.state.liveness.up).toBe(true);
    expect(w.engine.actions.filter((a) => a.id === late.id)).toEqual([]);
  }, 60_000);
});
