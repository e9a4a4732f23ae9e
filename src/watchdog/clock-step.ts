/**
 * What the state machine does when the wall clock was stepped back (chrony's `makestep` at boot on a
 * host whose RTC runs ahead, a VM restored from a snapshot, `date -s`, or a state file written while
 * the clock was ahead). Every time it keeps then lies in the future: a start period that never ends, a
 * backoff held for the step on top of its delay, a crash-loop window and a healthy run that last the
 * step longer. A time after the input's is therefore taken as the input's: the step's size is
 * forgotten and each wait counts afresh from the step (at most as long as it would have, never the
 * step longer). The clamped state is kept, so it is persisted as well.
 *
 * A step forward needs nothing here: the times kept are in the past, so waits simply end (a backoff, a
 * start period, a crash-loop window, the healthy run before a reset), as they would after that long.
 */
import type { Budget } from './budget.ts';
import type { MachineState, Track } from './machine-types.ts';

const ahead = (t: number | undefined, at: number): boolean => t !== undefined && t > at;

/**
 * `s` itself (no allocation, the common case) unless one of its past times is after `at`, or a stop's
 * retry is planned further ahead than its longest wait (`maxWaitMs`, backoff.max).
 */
export function clampFuture(s: MachineState, at: number, maxWaitMs: number): MachineState {
  const b = s.budget;
  const budgetAhead = ahead(b.lastRestartAt, at) || ahead(b.healthySince, at) || b.restarts.some((t) => t > at);
  const anyAhead =
    budgetAhead ||
    s.startedAt > at ||
    ahead(s.liveness.failingSince, at) ||
    ahead(s.readiness.failingSince, at) ||
    ahead(s.lastExit?.at, at) ||
    ahead(s.pending?.notBefore, at + maxWaitMs);
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
    lastExit: s.lastExit && s.lastExit.at > at ? { ...s.lastExit, at } : s.lastExit,
    pending: ahead(s.pending?.notBefore, at + maxWaitMs) && s.pending ? { ...s.pending, notBefore: at + maxWaitMs } : s.pending,
    budget,
  };
}
