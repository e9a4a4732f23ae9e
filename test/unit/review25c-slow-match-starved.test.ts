import { describe, expect, it } from 'vitest';
import { MatchBudget, TOTAL_DEBT_MS, TOTAL_SHARE } from '../../src/watchdog/match-budget.ts';

// Review 25c. match-budget.ts roomInTotal lets a known container match only while
// `totalFreeAt + lastMs / TOTAL_SHARE - now <= TOTAL_DEBT_MS`. A container whose LAST match took more than
// TOTAL_DEBT_MS * TOTAL_SHARE (2 s) needs the total to have been idle for (lastMs / 0.2 - 10 s) already:
// with any other body-matching container probing every second (a 0.1 ms match keeps totalFreeAt within a
// second of now), that never happens, so it is put off FOREVER, long after its own 5% share is paid
// (2.5 s at 5% = 50 s). One slow sample is enough (a huge body once, a GC pause during the match: matchMs
// is wall time), and its cost is never measured again because it never matches again.
// Trigger: a container labelled healer.liveness.body whose one match took 2.5 s, next to one other
// cheap body-probing container. What happens: never probed again (its liveness is never judged: a hang is
// never restarted, a held restart never resolves). What should: probed again once within its own share
// (the README: "a hard bound ... the rest is put off and matched at that pace", not never).
// Severity: high (healer stops watching that container's liveness; a failure is missed).

describe('review25c: a container whose last match was slow is not starved forever', () => {
  it('(control) alone it is let through again once its share is paid', () => {
    const b = new MatchBudget();
    let now = 1_000_000;
    expect(b.mayMatch('slow', now)).toBe(true);
    now += 2_500;
    b.ended('slow', now, 2_500);
    let slowMatches = 0;
    for (let s = 0; s < 600; s++) {
      now += 1_000;
      if (!b.verdict('slow', now).delay && b.mayMatch('slow', now)) {
        slowMatches++;
        b.ended('slow', now, 1);
      }
    }
    expect(slowMatches).toBeGreaterThan(0);
  });

  it('is let through again once its own share is paid, while a cheap neighbour keeps probing', () => {
    expect(TOTAL_DEBT_MS * TOTAL_SHARE).toBeLessThan(2_500);
    const b = new MatchBudget();
    let now = 1_000_000;
    // Its first match (unknown cost, allowed) takes 2.5 s.
    expect(b.verdict('slow', now).delay).toBe(false);
    expect(b.mayMatch('slow', now)).toBe(true);
    now += 2_500;
    b.ended('slow', now, 2_500);
    let slowMatches = 0;
    // Ten minutes: the neighbour matches 0.1 ms each second; the slow one is probed each second too.
    for (let s = 0; s < 600; s++) {
      now += 1_000;
      if (!b.verdict('cheap', now).delay && b.mayMatch('cheap', now)) b.ended('cheap', now, 0.1);
      if (!b.verdict('slow', now).delay && b.mayMatch('slow', now)) {
        slowMatches++;
        // Its later matches are cheap (the slow one was a one-off).
        b.ended('slow', now, 1);
      }
    }
    expect(slowMatches, 'matched again within ten minutes (its own 5% is paid after 50 s)').toBeGreaterThan(0);
  });
});
