import { describe, expect, it } from 'vitest';
import type { MatchBudget } from '../../src/watchdog/match-budget.ts';
import { queuedRestart, worldsPerTest } from './worlds.ts';

// Review 25c. A restart HELD because its liveness re-check was put off by the match budget (recheck.ts
// 'held', pending.recheckHeld) is documented to wait for its NEXT LIVENESS PROBE ("healer neither restarts
// on a result it did not get nor calls it recovered"). But the state machine's `tick` input (state-machine.ts)
// decides any pending action again, and decide.ts strips `recheckHeld`: the restart goes out, and since the
// slot is now free (`waited` false) recheck.ts does not probe at all, so it is sent on the old failures.
// Trigger: any wake of the watch while the restart is held. The breaker skips held restarts
// (confirmsByProbe), but the watch's own wake is not cancelled: e.g. a `reset` wake scheduled when the
// container was healthy after an earlier restart (bookkeeping.ts resetWake; schedule.ts keeps one wake and
// nothing clears it when the container fails again and its restart is decided without a backoff wait),
// firing while the container is still over its matching share (no probe result since the hold).
// Here the wake is simulated by feeding the `tick` that wake feeds (container-watch.ts dispatch).
// What happens: restarted with no probe since the hold. What should: still held until a probe decides.
// Severity: critical (a restart on a result healer did not get; the app may have recovered meanwhile).

const newWorld = worldsPerTest();

describe('review25c: a held restart is not sent by a wake-up tick', () => {
  it('stays held until a liveness probe decides, however the watch is woken', async () => {
    const w = await newWorld();
    const { late, busy } = await queuedRestart(w, { body: true });
    expect(w.wd.watches.get(late.id)?.state.inFlight).toBe(true);

    // Over its share: 1200 ms at 5% is paid 24 s from now.
    const budget = (w.wd as unknown as { matchBudget: MatchBudget }).matchBudget;
    budget.ended(late.id, w.clock.now(), 1_200);
    let probed = 0;
    const probe = w.engine.probe.bind(w.engine);
    w.engine.probe = (id: string): boolean => {
      if (id === late.id) probed++;
      return probe(id);
    };
    for (let i = 0; i < 80; i++) await w.clock.advance(100, () => w.settle());
    const watch = w.wd.watches.get(late.id);
    expect(watch?.state.inFlight, 'its turn came and went').toBe(false);
    expect(watch?.state.pending?.recheckHeld, 'held by the match budget').toBe(true);
    expect(w.engine.actions.filter((a) => a.id === late.id)).toEqual([]);

    // The other containers recover; their restarts end and the slots free (it is still over its share).
    for (const c of busy) w.engine.setApp(c, 'ok');
    for (let i = 0; i < 60 && w.wd.actor.inFlight > 0; i++) await w.clock.advance(100, () => w.settle());
    expect(w.wd.actor.inFlight, 'the slots are free').toBe(0);
    expect(watch?.state.pending?.recheckHeld, 'still held').toBe(true);
    expect(probed, 'still not probed (over its share)').toBe(0);

    // The watch is woken (its wake timer: a reset or backoff wake left from before), still over its share.
    watch?.feed({ type: 'tick', at: w.clock.now() });
    for (let i = 0; i < 70; i++) await w.clock.advance(100, () => w.settle());
    expect(watch?.state.inFlight, 'no restart in flight').toBe(false);
    expect(probed, 'no probe result since the hold').toBe(0);
    expect(w.engine.actions.filter((a) => a.id === late.id), 'not restarted on a result it did not get').toEqual([]);
  }, 60_000);
});
