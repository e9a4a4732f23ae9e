import { describe, expect, it } from 'vitest';
import { MatchBudget } from '../../src/watchdog/match-budget.ts';

// Review 24 (label author starving others). A container whose matches are charged at all (>= 1 ms: a
// legitimate status page of 64 KiB and `[a-z]+[0-9]` takes ~3.7 ms with re2js here) is "heavy", and a heavy
// container waits whenever the total (TOTAL_SHARE) is spent, however little of its own share it uses.
// Trigger: a tenant runs 8 containers labelled healer.liveness.interval=100ms healer.liveness.body=\pL{125}[0-9]
// answering 64 KiB of letters (~0.4 s a match): each match pushes the total 2 s ahead, so the total is
// spent nearly all the time, and the tenant's probes (every 100 ms) take each short moment it is not.
// The victim (liveness every 10 s, 3.7 ms a match: 0.04% of healer's time, a thousandth of its share)
// is put off at most ticks: its probes run 13 of 60 times in 10 minutes here, so its app being down is
// noticed (failure_threshold 3) after ~2.5 minutes instead of 30 s. What should happen: a container
// within its own share is probed on schedule; the total slows the containers that spend it.
// Simulated on the budget the watchdog consults, with a match holding the (one) loop for its duration.

describe('review24: a cheap-but-charged container is starved while others keep the total spent', () => {
  it('the victim within its share runs at least half of its ticks over 10 minutes', () => {
    const budget = new MatchBudget();
    const t0 = 1_000_000;
    interface C { id: string; interval: number; matchMs: number; next: number; ran: number; ticks: number }
    const cs: C[] = [];
    for (let i = 0; i < 8; i++) cs.push({ id: `tenant-${i}`, interval: 100, matchMs: 400, next: t0 + i * 7, ran: 0, ticks: 0 });
    const victim: C = { id: 'victim', interval: 10_000, matchMs: 3.7, next: t0 + 5_003, ran: 0, ticks: 0 };
    cs.push(victim);
    let now = t0;
    while (now < t0 + 600_000) {
      const c = cs.reduce((a, b) => (b.next < a.next ? b : a));
      now = Math.max(now, c.next);
      // The probe grid skips what it missed (a busy loop fires the timer late, once).
      while (c.next <= now) c.next += c.interval;
      c.ticks++;
      if (budget.verdict(c.id, now).delay) continue;
      c.ran++;
      now += c.matchMs; // the match holds the loop
      budget.ended(c.id, now, c.matchMs);
    }
    expect(victim.ticks).toBeGreaterThan(50);
    expect(victim.ran).toBeGreaterThanOrEqual(victim.ticks / 2);
  });
});
