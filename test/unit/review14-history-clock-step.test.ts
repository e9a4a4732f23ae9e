import { describe, expect, it } from 'vitest';
import { HistoryQueries } from '../../src/history/queries.ts';
import { HOUR, HistoryStore } from '../../src/history/store.ts';
import type { Clock } from '../../src/watchdog/clock.ts';

// Review 14 (adversarial review of the history store): the wall clock is stepped back (NTP correcting
// a clock that ran ahead: a VM resumed from a snapshot, a wrong RTC at boot).
// Trigger: while the clock is 2 hours ahead, a container recovers after 90 s; the clock is corrected
//   (stepped back 2 h); later the container fails and recovers again, this time in 3 s.
// What happens: summaries() takes the "last recovery" as the row with the largest `at`, so the row
//   written under the wrong clock (2 h "in the future") stays the last one: the page's "last recovery"
//   column says 1.5 min for the next 2 hours although the latest recovery took 3 s; the same future row
//   heads the timeline (newest first) over what really happened last.
// What should happen: the last recovery is the one recorded last (insertion order, or times clamped so
//   that a step back does not leave rows ahead of now), so the page shows 3 s.
function fakeClock(start: number): Clock & { t: number } {
  const c = { t: start, now: () => c.t, setTimeout: () => ({}), clearTimeout: () => {} };
  return c;
}
const T0 = Date.UTC(2026, 10, 24, 4, 0, 0);

describe('review14: history across a wall-clock step back', () => {
  it('"last recovery" is the latest recovery, not the one stamped with the clock that was ahead', () => {
    const c = fakeClock(T0 + 2 * HOUR);
    const store = new HistoryStore({ path: ':memory:', retentionMs: 7 * 24 * HOUR, maxBytes: 64 * 2 ** 20, clock: c });
    const q = new HistoryQueries(store);
    // The clock runs 2 h ahead.
    store.transition({ at: c.t, container: 'api', event: 'unhealthy', reason: '3 failed probes' });
    store.transition({ at: c.t + 90_000, container: 'api', event: 'recovered', reason: 'passes again', recoveryMs: 90_000 });
    // NTP steps it back; ten minutes later the container fails and recovers in 3 s.
    c.t = T0 + 10 * 60_000;
    store.transition({ at: c.t, container: 'api', event: 'unhealthy', reason: '3 failed probes' });
    store.transition({ at: c.t + 3_000, container: 'api', event: 'recovered', reason: 'passes again', recoveryMs: 3_000 });
    c.t += 5_000;
    expect({
      lastRecoveryMs: q.summaries(['api'], c.t).api?.lastRecoveryMs,
      newestFirst: q.transitions('api', c.t - 24 * HOUR)[0]?.recoveryMs,
    }).toEqual({ lastRecoveryMs: 3_000, newestFirst: 3_000 });
    store.close();
  });
});
