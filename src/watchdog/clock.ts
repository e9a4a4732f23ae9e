/** Time and timers, injected so the loop can be driven by a fake clock in tests and benches. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?: () => void } & object;
  clearTimeout(handle: object): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
