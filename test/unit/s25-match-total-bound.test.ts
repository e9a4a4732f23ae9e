import { describe, expect, it } from 'vitest';
import { MatchBudget, TOTAL_DEBT_MS, TOTAL_SHARE } from '../../src/watchdog/match-budget.ts';

// Session 25, item 2: what the documented "20% in all" really bounds (README, Security model).
// Trigger: many containers labelled healer.liveness.body=<a slow pattern> (~0.4 s a match on 64 KiB, the
// slowest accepted shape), known to the budget, whose targets were all down for a while (connection
// refused: no body, no match) and come back together (a shared database, a network restored). Every
// container's clocks are paid, and the fair-part rule judges each alone, so on main each was let through
// once, all together: 100 such containers held healer's event loop 40 s back to back (probes, events,
// restarts and /healthz waiting). Expected: at most ~2 s of matching beyond the total's pace
// (TOTAL_DEBT_MS at TOTAL_SHARE) plus the match under way; the rest are put off (not failed) and matched
// at the total's pace. And over time, on main, 20% was not what it bounded: the known containers' fair
// parts, each judged alone, plus newcomers' own 5% came to ~25% (README said "20% in all"). Now every
// match, a newcomer's too, moves the total on, and no match goes while it would run TOTAL_DEBT_MS ahead.

const MATCH = 400;

/** Containers probed every 100 ms from `at` until each has matched once (its cost known). Returns then. */
function known(b: MatchBudget, ids: readonly string[], at: number): number {
  const left = new Set(ids);
  let now = at;
  while (left.size > 0) {
    for (const id of left) {
      if (b.verdict(id, now).delay || !b.mayMatch(id, now)) continue;
      now += MATCH;
      b.ended(id, now, MATCH);
      left.delete(id);
    }
    now += 100;
  }
  return now;
}

describe('s25: the total share of healer time for body matching', () => {
  it('containers whose clocks are all paid, probed together, do not hold the loop once each', () => {
    const b = new MatchBudget();
    const ids = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
    let now = known(b, ids, 0) + 300_000; // then 5 minutes of probes that never reached a match
    // All come back in the same tick: every verdict is taken before any body arrives.
    const admitted = ids.filter((id) => !b.verdict(id, now).delay);
    let busy = 0;
    let putOff = 0;
    for (const id of admitted) {
      // Each body arrives while the loop is busy with the previous matches: the gate is asked then.
      if (!b.mayMatch(id, now + busy)) {
        b.release(id);
        putOff++;
        continue;
      }
      busy += MATCH;
      b.ended(id, now + busy, MATCH);
    }
    // On main: 100 admitted and 40 s matched back to back.
    // (Each match moves the total MATCH / TOTAL_SHARE on while the loop moves MATCH: the lead grows by the difference.)
    expect(busy).toBeLessThanOrEqual((TOTAL_DEBT_MS * TOTAL_SHARE) / (1 - TOTAL_SHARE) + MATCH);
    expect(putOff).toBeGreaterThan(90);
    // The ones put off are matched later, at the total's pace: over the next 10 minutes, 20% of the time.
    now += busy;
    let spent = 0;
    for (const end = now + 600_000; now < end; now += 100) {
      for (const id of ids) {
        if (b.verdict(id, now).delay || !b.mayMatch(id, now)) continue;
        b.ended(id, now + MATCH, MATCH);
        spent += MATCH;
      }
    }
    expect(spent).toBeLessThanOrEqual(600_000 * TOTAL_SHARE + TOTAL_DEBT_MS * TOTAL_SHARE + MATCH);
    expect(spent).toBeGreaterThanOrEqual(600_000 * TOTAL_SHARE * 0.8);
  });

  it('20% in all is a hard bound over time: new containers coming all the time take from it, not on top of it', () => {
    const b = new MatchBudget();
    const heavy = Array.from({ length: 100 }, (_, i) => `heavy-${i}`);
    let spent = 0;
    let spentNew = 0;
    let fresh = 0;
    const T = 1_200_000;
    for (let t = 0; t < T; t += 100) {
      for (const id of heavy) {
        if (b.verdict(id, t).delay || !b.mayMatch(id, t)) continue;
        b.ended(id, t + MATCH, MATCH);
        spent += MATCH;
      }
      // A tenant's container made anew every 100 ms (a job, a crash-and-recreate): one probe, then gone.
      const id = `fresh-${fresh++}`;
      if (!b.verdict(id, t).delay && b.mayMatch(id, t)) {
        b.ended(id, t + MATCH, MATCH);
        spentNew += MATCH;
      }
      b.forget(id);
    }
    // On main: 24.9% (the known ones' fair parts, each judged alone, plus the newcomers' own 5%).
    expect(spent + spentNew).toBeLessThanOrEqual(T * TOTAL_SHARE + (TOTAL_DEBT_MS * TOTAL_SHARE) / (1 - TOTAL_SHARE) + 2 * MATCH);
    expect(spentNew, 'newcomers still get their first matches').toBeGreaterThan(0);
  });

  it('slow matches taking the total to its limit leave room for a cheap container', () => {
    const b = new MatchBudget();
    b.verdict('cheap', 0);
    b.ended('cheap', 1, 0.5);
    const heavy = Array.from({ length: 20 }, (_, i) => `heavy-${i}`);
    // Their first matches (cost unknown) may take the total past its limit once each: counted from after.
    let now = known(b, heavy, 10);
    let ran = 0;
    let asked = 0;
    // The loop is held by each match (the clock moves on by it), as healer's is.
    while (now < 600_000) {
      const tick = now;
      for (const id of heavy) {
        if (b.verdict(id, now).delay || !b.mayMatch(id, now)) continue;
        now += MATCH;
        b.ended(id, now, MATCH);
      }
      asked++;
      if (!b.verdict('cheap', now).delay && b.mayMatch('cheap', now)) {
        ran++;
        now += 0.5;
        b.ended('cheap', now, 0.5);
      }
      now = Math.max(now, tick + 100);
    }
    // Within its 5% and its fair part (20% / 21): every probe ran, as on main.
    expect(ran).toBe(asked);
  });
});
