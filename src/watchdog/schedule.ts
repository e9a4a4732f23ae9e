import type { ProbePolicy } from '../config/policy.ts';
import { cron } from '../lazy.ts';
import type { Clock } from './clock.ts';
import { timerAt } from './timer-limit.ts';

/**
 * When a probe runs next. Intervals start at a random offset within the first interval (jitter), so
 * many containers started together are not probed in lock-step; later runs keep to the planned grid
 * (planned + interval), so a slow probe does not make the schedule drift. Cron schedules run on the
 * cron's own times. The grid is on the wall clock, which can be stepped: a run planned more than an
 * interval ahead (the clock went back) is planned an interval from now, so probes never stop for the
 * size of the step; one behind (the clock went forward) skips to the grid's next time after now.
 */
export function nextRun(
  policy: Pick<ProbePolicy, 'intervalMs' | 'schedule'>,
  now: number,
  previousPlanned: number | undefined,
  random: () => number = Math.random,
): number {
  if (policy.schedule !== undefined) {
    return cron().parse(policy.schedule, { currentDate: new Date(now) }).next().getTime();
  }
  if (previousPlanned === undefined) return now + Math.floor(random() * policy.intervalMs);
  const next = previousPlanned + policy.intervalMs;
  // Behind by more than a whole interval (machine suspended, event loop blocked): skip, do not burst.
  if (next < now) return now + policy.intervalMs - ((now - previousPlanned) % policy.intervalMs);
  // Ahead by more than an interval: the wall clock was stepped back. Not a gap of the step's size.
  return Math.min(next, now + policy.intervalMs);
}

/**
 * A watch's one pending wake-up (a backoff's end, a budget reset): a new time replaces the one waited
 * for, so the state machine is woken once, at the time it last asked for.
 */
export class Wake {
  private readonly clock: Clock;
  private timer: object | undefined;
  private at: number | undefined;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Already waiting for exactly this time: nothing to ask again (or to say). */
  waitingFor(at: number): boolean {
    return this.timer !== undefined && this.at === at;
  }

  set(at: number, fn: () => void): void {
    this.clear();
    this.at = at;
    timerAt(
      this.clock,
      at,
      () => {
        this.timer = undefined;
        this.at = undefined;
        fn();
      },
      (t) => (this.timer = t),
    );
  }

  clear(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.at = undefined;
  }
}
