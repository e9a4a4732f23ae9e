import { describe, expect, it } from 'vitest';
import { BURST_MS, MatchBudget, TOTAL_SHARE } from '../../src/watchdog/match-budget.ts';

// Review 24 (label author starving others: patterns just under the free threshold). A match shorter than
// MIN_CHARGED_MS (1 ms) is never charged, to anyone: not to the container, not to the total. Measured with
// re2js on this machine: `[a-z]+[0-9]` over an 8 KiB body of letters takes ~0.54 ms, over ~14 KiB ~0.95 ms.
// Trigger: a tenant runs 40 containers labelled
//   healer.liveness=http://:8080/ healer.liveness.interval=100ms healer.liveness.body=[a-z]+[0-9]
//   healer.readiness=http://:8080/ healer.readiness.interval=100ms healer.readiness.body=[a-z]+[0-9]
// whose app answers ~14 KiB of letters and a digit: 20 matches a second each, ~0.9 ms each, ~1.8% of
// healer's event loop per container and ~72% for the 40, none of it charged: the budget never puts one off,
// and TOTAL_SHARE (20%), which is there so that "many tenants together cannot add up to more than it",
// does not hold. What should happen: the matching the budget lets through in all stays within TOTAL_SHARE
// of the time (plus a burst), however it is split into matches.
// Asserted on the budget the watchdog consults before each body probe and charges after it.

describe('review24: many sub-threshold matches add up past the total share', () => {
  it('40 containers x 2 probes every 100 ms at 0.9 ms a match: the budget lets through no more than TOTAL_SHARE', () => {
    const budget = new MatchBudget();
    const matchMs = 0.9;
    // (The free threshold, MIN_CHARGED_MS = 1 ms, is gone with the fix: every match is charged.)
    const t0 = 1_000_000;
    const span = 10_000;
    let allowedMs = 0;
    for (let t = t0; t < t0 + span; t += 100) {
      for (let c = 0; c < 40; c++) {
        for (const role of ['liveness', 'readiness']) {
          const id = `tenant-${c}`;
          const now = t + c * 2 + (role === 'readiness' ? 1 : 0);
          if (budget.verdict(id, now).delay) continue;
          allowedMs += matchMs;
          budget.ended(id, now + 2, matchMs);
        }
      }
    }
    expect(allowedMs).toBeLessThanOrEqual(TOTAL_SHARE * span + BURST_MS);
  });
});
