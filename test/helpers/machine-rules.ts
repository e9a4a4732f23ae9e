import type { Context, Rules } from '../../src/watchdog/state-machine.ts';

/**
 * The state machine's rules of the pure-machine tests, `over` replacing what a test is about. Unless
 * replaced: a container restarted after one failed liveness probe (one success recovers it, no start
 * period), no readiness, no on-exit start, backoff 10 s doubling to 300 s (reset after 10 min), a crash
 * loop at more than 5 restarts in 10 min, retried.
 */
export function machineRules(over: Partial<Rules> = {}): Rules {
  return {
    liveness: { failures: 1, successes: 1, startPeriodMs: 0 },
    readiness: undefined,
    action: 'restart',
    dryRun: false,
    restartOnExit: false,
    engineRestarts: false,
    backoff: { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 },
    crashloop: { restarts: 5, windowMs: 600_000, action: 'retry' },
    ...over,
  };
}

/** Nothing holds the container and restarts are not paused. */
export const FREE: Context = { heldBy: undefined, paused: false };
