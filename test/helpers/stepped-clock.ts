import { systemClock, type Clock } from '../../src/watchdog/clock.ts';

/**
 * The system clock whose wall time a test steps forward, as NTP or an operator steps a host's clock:
 * healer's windows (an operator's stop, the 60 s before an endless stop's survival) are measured on the
 * wall clock (now()), so an end-to-end test can reach their end without waiting them out on the real
 * engine, while timers, monotonic time and the engine itself keep running in real time. A step forward
 * is what healer meets on a real host too (watchdog/clock-step.ts: waits simply end, as after that long).
 */
export interface SteppedClock extends Clock {
  /** Moves the wall clock `ms` forward from now on. */
  step(ms: number): void;
}

export function steppedClock(): SteppedClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    monotonic: () => performance.now(),
    setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms),
    clearTimeout: (h) => systemClock.clearTimeout(h),
    step: (ms) => {
      offset += ms;
    },
  };
}
