import { describe, expect, it } from 'vitest';
import { MatchBudget, TOTAL_DEBT_MS, TOTAL_SHARE } from '../../src/watchdog/match-budget.ts';

// Review 25b. The total is "a hard bound ... every path that matches a body is charged and gated"
// (README, Security model). mayMatch() answers true for a container with no account at all
// (`!a || ...`), and close() forget()s the account while a probe may still be in flight: the re-check
// of a restart waiting for a slot (ContainerWatch.passesNow) runs with a slot of its own (`{}`) that
// close() never aborts (probes.stop() aborts only the scheduled slots). Its body then arrives, the gate
// asks mayMatch() for an id the budget no longer knows, and gets true however far the total is past its
// limit; budgetedProbe then skips ended() because the watch is closed, so the match is not charged
// either.
// Trigger: restarts waiting for a slot re-check a container whose liveness body pattern is slow (~0.4 s
// on 64 KiB) and whose target trickles its body; the container is removed meanwhile (`docker rm -f`,
// a compose down) while the total is spent by others.
// What happens: the match runs ungated and uncharged. What should: a match for an unknown (forgotten)
// container is judged as a newcomer's (or refused), never let through unconditionally.

describe('a match for a container the budget has forgotten', () => {
  it('is gated by the total as any other', () => {
    const b = new MatchBudget();
    let now = 0;
    // Others keep the total at its limit: slow known matches, back to back.
    for (let i = 0; i < 40; i++) {
      now += 400;
      b.ended(`other-${i}`, now, 400);
    }
    // (The total is far past its limit: 40 x 400 ms at 20% is 80 s of debt, minus the 16 s passed.)
    expect(TOTAL_DEBT_MS).toBeLessThan(40 * 400 / TOTAL_SHARE - 16_000);
    // The re-checked container was known (slow), let through before the total filled...
    b.ended('rechecked', 0, 400);
    // ...and removed while its re-check's body was on its way.
    b.forget('rechecked');
    expect(b.mayMatch('rechecked', now)).toBe(false);
  });
});
