/** Time and timers, injected so the loop can be driven by a fake clock in tests and benches. */
export interface Clock {
  /** Wall-clock time (ms since the epoch): every time stored or shown. An operator or NTP can step it. */
  now(): number;
  /**
   * Monotonic time (ms, any origin), which timers run on and nothing steps: for how late a timer is. A
   * clock without it (a test's fake, whose now() is never stepped) is measured by now().
   */
  monotonic?(): number;
  setTimeout(fn: () => void, ms: number): { unref?: () => void } & object;
  clearTimeout(handle: object): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The clock's monotonic time, or its now() when it has none. */
export const monotonic = (c: Clock): number => (c.monotonic ? c.monotonic() : c.now());
