import type { Clock } from '../../src/watchdog/clock.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  readonly owner: number;
}

/**
 * Simulated time for the model test: timers fire only when the test advances the clock, in time order,
 * with the promises they start settled between firings. Each healer process gets its own view
 * (`view(owner)`); killing that owner drops its timers, as SIGKILL would.
 */
export class SimClock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<object, Timer>();
  private readonly dead = new Set<number>();
  /** Exceptions thrown by timer callbacks: in a real process each one is an uncaught exception. */
  readonly thrown: unknown[] = [];

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** The Clock one healer process sees. */
  view(owner: number): Clock {
    return {
      now: () => this.t,
      setTimeout: (fn, ms) => {
        const h = {};
        if (this.dead.has(owner)) return h;
        // As Node: a delay that is not a number of at least 1 ms is 1 ms.
        const delay = Number.isFinite(ms) && ms >= 1 ? ms : 1;
        this.timers.set(h, { at: this.t + delay, seq: this.seq++, fn, owner });
        return h;
      },
      clearTimeout: (h) => void this.timers.delete(h),
    };
  }

  kill(owner: number): void {
    this.dead.add(owner);
    for (const [h, t] of this.timers) if (t.owner === owner) this.timers.delete(h);
  }

  /** Timers waiting, for the boundedness invariant. */
  pending(owner: number): number {
    let n = 0;
    for (const t of this.timers.values()) if (t.owner === owner) n++;
    return n;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting the work they start settle.
   * `onTick` runs at each firing time before the timers (the simulated engine's own scheduled work).
   * Stops early after `maxFirings` (a runaway timer loop is itself reported by the invariants).
   */
  async advance(ms: number, settle: () => Promise<void>, beforeFire?: (at: number) => void, maxFirings = 20_000): Promise<void> {
    const end = this.t + ms;
    let firings = 0;
    await settle(); // work already started (an event, an engine answer) may set timers first
    for (;;) {
      let next: [object, Timer] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      if (!next || firings++ > maxFirings) break;
      this.t = Math.max(this.t, next[1].at);
      beforeFire?.(this.t);
      if (!this.timers.delete(next[0])) continue;
      try {
        next[1].fn();
      } catch (err) {
        this.thrown.push(err);
      }
      await settle();
    }
    this.t = end;
    beforeFire?.(this.t);
    await settle();
  }
}
