import { describe, expect, it } from 'vitest';
import type { MatchBudget } from '../../src/watchdog/match-budget.ts';
import { summaryState } from '../../src/watchdog/status.ts';
import { queuedRestart, worldsPerTest } from '../model/worlds.ts';

// Review 25b. A restart the match budget HOLDS (s25-budget: its liveness re-check refused) keeps
// `pending` with no heldBy, no backoff due and no stop signal, so status.ts's summaryState falls through
// to 'breaker': /api/status, the status page and the healer_container_state metric say the breaker holds
// it ("restarts paused: too many containers failing at once") while the breaker is closed (3 watched
// containers, under guards.mass_failure.min_containers 4) and no `restarts paused` was ever logged.
// Trigger: as s25-held-restart-model.test.ts: a container labelled healer.liveness.body=..., over its
// share of body-matching time, whose restart waited for a slot and was held at its turn.
// What happens: state `breaker`. What should: a state that says what holds it (e.g. `backoff`, or a
// `held`-like state naming the match budget), never the breaker's, which points the operator at the
// wrong cause (medium: misleading output).

const newWorld = worldsPerTest();

describe('review25b: a restart held by the match budget', () => {
  it('is not shown as held by the breaker', async () => {
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
    const watch = w.wd.watches.get(late.id);
    if (!watch) throw new Error('late is watched');
    expect(watch.state.pending?.kind, 'held: still decided').toBe('restart');
    // (Fix s25-fix-b: what it is meanwhile, a failing container whose restart waits for its next liveness
    // probe: `unhealthy`, an existing state that is true; not `restarting`, as nothing is in flight.)
    expect(summaryState(watch, w.clock.now())).toBe('unhealthy');
  }, 60_000);
});
