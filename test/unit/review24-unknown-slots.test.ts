import { describe, expect, it } from 'vitest';
import { MatchBudget } from '../../src/watchdog/match-budget.ts';

// Review 24 (label author starving others). Trigger: a tenant starts 4 containers labelled
//   healer.liveness=http://:8080/  healer.liveness.body=ok  healer.liveness.interval=1h  healer.liveness.timeout=1h
// whose app answers 200 with its headers and then sends one body byte a minute (no label bounds interval or
// timeout; undici's 5-minute body timeout is reset by each byte, and the body is read up to 64 KiB). Each one's
// first probe holds one of the MAX_UNKNOWN (4) "never matched yet" slots for the whole hour: its cost is
// only known when the probe ends. Meanwhile every other container healer-wide that has a body check and
// was never probed yet (a new deploy, a `docker compose up -d` re-create: a new id) is put off at every
// tick, without a warning, for the hour; the tenant re-creates its 4 containers each hour and the victim
// is never probed, so its app being down is never noticed (no liveness failure, no restart).
// What should happen: a probe that is only waiting for its target costs healer nothing (the match runs
// after the body arrived); one tenant's unanswered probes must not keep another container's first
// probe from running. Asserted on the budget the watchdog consults before each body probe.

describe('review24: unanswered first probes of one tenant hold every other new container off', () => {
  it("a victim's first body probe runs within 10 minutes while 4 tenant probes wait for an answer", () => {
    const budget = new MatchBudget();
    const t0 = 1_000_000;
    // The tenant's 4 first probes go out at t0 and wait (their target never answers; timeout 1h).
    for (let i = 0; i < 4; i++) expect(budget.verdict(`tenant-${i}`, t0).delay).toBe(false);
    // The victim (body check, 10 s interval) is discovered 5 s later; its probe ticks every 10 s.
    let ran = 0;
    for (let t = t0 + 5_000; t < t0 + 600_000; t += 10_000) {
      if (!budget.verdict('victim', t).delay) {
        ran++;
        budget.ended('victim', t + 5, 0.05); // a cheap match
      }
    }
    expect(ran).toBeGreaterThan(0);
  });
});
