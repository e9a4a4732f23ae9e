import { describe, expect, it } from 'vitest';
import { MatchBudget } from '../../src/watchdog/match-budget.ts';

// Review 24b (label author holding healer's loop). MatchBudget.ended() marks a container "known" (its
// cost known: verdict() decides for it and mayMatch() lets it match at once) when ANY body probe of it
// ends, also one that never got to a match (matchMs undefined: connection refused while the app starts,
// a 503, a timeout). Its cost is then still unknown, but the newcomers' gate no longer applies, and
// nothing was charged to the newcomers' allowance.
// Trigger: a tenant starts 10 containers labelled
//   healer.liveness=http://:8080/ healer.liveness.interval=100ms healer.liveness.body=\pL{125}[0-9]
// whose app is not listening yet at the first probe (the usual case right after a start) and then
// answers 64 KiB of letters (~0.4 s a match). What happens: all 10 first matches run back to back, 4 s
// of healer's loop in one go (100 containers: 40 s), though match-budget.ts promises "a tenant starting
// many containers together holds the loop for one unknown match, not one per container". What should:
// a container whose probes never reached a match is still of unknown cost: its first match is gated
// like any newcomer's (a few at most run before the total and the newcomers' allowance are spent).
// Asserted on the budget the watchdog consults (verdict before the probe, mayMatch at the match).

describe('review24b: a first probe that never matched makes a container "known"', () => {
  it('10 fresh containers whose first probe found nothing to match run their first matches one per room, not all at once', () => {
    const budget = new MatchBudget();
    const t0 = 1_000_000;
    const ids = Array.from({ length: 10 }, (_, i) => `tenant-${i}`);
    // First probes: the app is not listening yet (or answers 503): no body, no match.
    for (const id of ids) {
      expect(budget.verdict(id, t0).delay).toBe(false);
      budget.ended(id, t0 + 2, undefined);
    }
    // The app is up 100 ms later: each container's next probe brings 64 KiB to match (~400 ms each).
    let now = t0 + 100;
    let matched = 0;
    for (const id of ids) {
      if (budget.verdict(id, now).delay) continue;
      if (!budget.mayMatch(id, now)) continue;
      matched++;
      now += 400; // the match holds the loop
      budget.ended(id, now, 400);
    }
    expect(matched).toBeLessThanOrEqual(2);
  });
});
