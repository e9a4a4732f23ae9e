/**
 * A container's restart budget: the history healer keeps of its restarts (its own and the engine's),
 * the backoff level, and the crash-loop state. Pure functions over plain data, persisted as is.
 */

export type LoopState = 'closed' | 'open' | 'gave_up';

export interface Budget {
  /** Times of restarts still inside the crash-loop window, oldest first. */
  readonly restarts: readonly number[];
  /** Restarts since the last reset; the next restart waits backoffDelay(level). */
  readonly level: number;
  readonly lastRestartAt: number | undefined;
  readonly loop: LoopState;
  /** Since when the container has been healthy without a break (undefined while it is not). */
  readonly healthySince: number | undefined;
}

export interface BudgetRules {
  readonly backoff: { readonly initialMs: number; readonly maxMs: number; readonly resetMs: number };
  readonly crashloop: { readonly restarts: number; readonly windowMs: number; readonly action: 'retry' | 'giveup' };
}

export const EMPTY_BUDGET: Budget = { restarts: [], level: 0, lastRestartAt: undefined, loop: 'closed', healthySince: undefined };

/** Delay before the next restart: none for the first, then initial, doubling, capped; max in a loop. */
export function backoffDelay(b: Budget, r: BudgetRules): number {
  if (b.level <= 0) return 0;
  if (b.loop !== 'closed') return r.backoff.maxMs;
  return Math.min(r.backoff.initialMs * 2 ** (b.level - 1), r.backoff.maxMs);
}

/** When the next restart may be issued (undefined: now). */
export function notBefore(b: Budget, r: BudgetRules): number | undefined {
  return b.lastRestartAt === undefined || b.level === 0 ? undefined : b.lastRestartAt + backoffDelay(b, r);
}

export function restartsInWindow(b: Budget, at: number, r: BudgetRules): number {
  return b.restarts.filter((t) => at - t < r.crashloop.windowMs).length;
}

/** Records `count` restarts at `at`; says whether this opened a crash loop. */
export function recordRestarts(b: Budget, at: number, r: BudgetRules, count = 1): { budget: Budget; opened: boolean } {
  const kept = b.restarts.filter((t) => at - t < r.crashloop.windowMs);
  const restarts = [...kept, ...Array.from({ length: count }, () => at)];
  const looping = restarts.length > r.crashloop.restarts;
  const opened = looping && b.loop === 'closed';
  return {
    budget: { restarts, level: b.level + count, lastRestartAt: at, loop: opened ? 'open' : b.loop, healthySince: undefined },
    opened,
  };
}

/**
 * Counts a restart healer decided, before it is carried out: in the window and the backoff level, but
 * the crash loop it would make opens only once it is made (loopIfMade), so a restart taken back (skipped,
 * requeued by the breaker) never opened, nor alerted, a loop.
 */
export function recordDecided(b: Budget, at: number, r: BudgetRules): Budget {
  return { ...recordRestarts(b, at, r).budget, loop: b.loop };
}

/**
 * The restart counted at `at` was carried out: more than `crashloop.restarts` restarts within the window
 * (at the time it was counted) is a crash loop now. Says whether this opened it (the alert is owed).
 */
export function loopIfMade(b: Budget, at: number, r: BudgetRules): { budget: Budget; opened: boolean } {
  const opened = b.loop === 'closed' && restartsInWindow(b, at, r) > r.crashloop.restarts;
  return { budget: opened ? { ...b, loop: 'open' } : b, opened };
}

/**
 * Takes back a restart recorded at `at` (the budget was `before`) that was never made (skipped): as if
 * not recorded, keeping what was counted since (the engine's restarts). A decided restart opens no loop
 * (recordDecided), so a loop open now was opened by restarts that were made, and alerted: it stays.
 */
export function uncountRestart(b: Budget, at: number, before: Budget): Budget {
  const i = b.restarts.lastIndexOf(at);
  const restarts = i < 0 ? b.restarts : [...b.restarts.slice(0, i), ...b.restarts.slice(i + 1)];
  const lastRestartAt = b.lastRestartAt === at ? before.lastRestartAt : b.lastRestartAt;
  return { ...b, restarts, level: Math.max(0, b.level - 1), lastRestartAt };
}

/**
 * After `resetMs` healthy without a break, backoff and the crash-loop state start afresh: the restarts
 * before it no longer count towards a crash loop (with `backoff.reset` shorter than the crash-loop window,
 * one crash after a long healthy run would otherwise re-open, or give up, at once).
 */
export function maybeReset(b: Budget, at: number, r: BudgetRules): { budget: Budget; reset: boolean } {
  if (b.healthySince === undefined || at - b.healthySince < r.backoff.resetMs) return { budget: b, reset: false };
  if (b.level === 0 && b.loop === 'closed' && b.restarts.length === 0) return { budget: b, reset: false };
  return { budget: { ...b, restarts: [], level: 0, loop: 'closed' }, reset: true };
}

export const healthy = (b: Budget, at: number): Budget => (b.healthySince === undefined ? { ...b, healthySince: at } : b);
export const unhealthy = (b: Budget): Budget => (b.healthySince === undefined ? b : { ...b, healthySince: undefined });
