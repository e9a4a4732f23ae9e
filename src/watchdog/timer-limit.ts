import { MAX_DURATION_MS } from '../config/fields.ts';
import type { Clock } from './clock.ts';

/**
 * The delay of a timer meant to fire at `at`: never negative, and never past Node's timer limit
 * (2^31-1 ms, ~24.8 days). Configured durations are capped at it (fields.ts), but a deadline can lie
 * further ahead: one computed from the state file's times when the clock is behind them (a board whose
 * clock lost its time and boots before NTP), a cron schedule's next run (a yearly one). Node fires a
 * longer timer after 1 ms, with a TimeoutOverflowWarning, and a caller that re-arms toward the same
 * deadline spins. Capped, the timer fires early, after the limit, and its caller looks again.
 */
export function delayUntil(at: number, now: number): number {
  return Math.min(MAX_DURATION_MS, Math.max(0, at - now));
}

/**
 * Calls `fn` at `at` by `clock`, however far ahead: past Node's timer limit it waits in steps (each
 * timer handed to `keep`, for the caller to clear), so `fn` never runs early. Only a capped wait is
 * stepped: a timer that fires while the wall clock reads earlier than `at` (stepped back meanwhile) still
 * runs `fn`, whose caller judges the time as before.
 */
export function timerAt(clock: Clock, at: number, fn: () => void, keep: (timer: ReturnType<Clock['setTimeout']>) => void): void {
  const now = clock.now();
  const delay = delayUntil(at, now);
  keep(clock.setTimeout(() => (delay < at - now ? timerAt(clock, at, fn, keep) : fn()), delay));
}
