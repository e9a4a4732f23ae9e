/**
 * What the state machine does when the wall clock was stepped back (chrony's `makestep` at boot on a
 * host whose RTC runs ahead, a VM restored from a snapshot, `date -s`, or a state file written while
 * the clock was ahead). Every time it keeps then lies in the future: a start period that never ends, a
 * backoff held for the step on top of its delay, a crash-loop window and a healthy run that last the
 * step longer. A time well after the input's (CLOCK_SLACK_MS) is therefore taken as the input's: the
 * step's size is forgotten and each wait counts afresh from the first input after the step (its own
 * length, never the step longer). The clamped state is kept, so it is persisted as well.
 *
 * A step forward needs nothing here: the times kept are in the past, so waits simply end (a backoff, a
 * start period, a crash-loop window, the healthy run before a reset), as they would after that long.
 */
import type { Budget } from './budget.ts';
import type { MachineState, Track } from './machine-types.ts';

/**
 * How far ahead a kept time may be and still be taken as it is: some inputs carry when their event
 * happened (an exit's finishedAt, read after healer recorded a decision), a little before times kept
 * since. A step back smaller than this makes a wait at most this much longer.
 */
export const CLOCK_SLACK_MS = 30_000;

const ahead = (t: number | undefined, at: number): boolean => t !== undefined && t > at + CLOCK_SLACK_MS;

/**
 * `s` itself (no allocation, the common case) unless one of its past times is after `at`, or a stop's
 * retry is planned further ahead than its longest wait (`maxWaitMs`, backoff.max).
 */
export function clampFuture(s: MachineState, at: number, maxWaitMs: number): MachineState {
  const b = s.budget;
  const budgetAhead = ahead(b.lastRestartAt, at) || ahead(b.healthySince, at) || b.restarts.some((t) => ahead(t, at));
  const anyAhead =
    budgetAhead ||
    ahead(s.startedAt, at) ||
    ahead(s.liveness.failingSince, at) ||
    ahead(s.readiness.failingSince, at) ||
    ahead(s.lastExit?.at, at) ||
    ahead(s.loopSince, at) ||
    ahead(s.heldSince, at) ||
    ahead(s.failedSince, at) ||
    (s.pending?.notBefore ?? 0) > at + maxWaitMs;
  if (!anyAhead) return s;
  const min = (t: number): number => Math.min(t, at);
  const track = (t: Track): Track => (ahead(t.failingSince, at) ? { ...t, failingSince: at } : t);
  const budget: Budget = budgetAhead
    ? {
        ...b,
        restarts: b.restarts.map(min),
        lastRestartAt: b.lastRestartAt === undefined ? undefined : min(b.lastRestartAt),
        healthySince: b.healthySince === undefined ? undefined : min(b.healthySince),
      }
    : b;
  return {
    ...s,
    startedAt: min(s.startedAt),
    liveness: track(s.liveness),
    readiness: track(s.readiness),
    lastExit: s.lastExit && ahead(s.lastExit.at, at) ? { ...s.lastExit, at } : s.lastExit,
    loopSince: s.loopSince === undefined ? undefined : min(s.loopSince),
    heldSince: s.heldSince === undefined ? undefined : min(s.heldSince),
    failedSince: s.failedSince === undefined ? undefined : min(s.failedSince),
    pending: s.pending && (s.pending.notBefore ?? 0) > at + maxWaitMs ? { ...s.pending, notBefore: at + maxWaitMs } : s.pending,
    budget,
  };
}
