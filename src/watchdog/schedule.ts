import type { ProbePolicy } from '../config/policy.ts';
import { cron } from '../lazy.ts';
import type { Clock } from './clock.ts';

/**
 * When a probe runs next. Intervals start at a random offset within the first interval (jitter), so
 * many containers started together are not probed in lock-step; later runs keep to the planned grid
 * (planned + interval), so a slow probe does not make the schedule drift. Cron schedules run on the
 * cron's own times.
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
  return next < now ? now + policy.intervalMs - ((now - previousPlanned) % policy.intervalMs) : next;
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
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.at = undefined;
      fn();
    }, Math.max(0, at - this.clock.now()));
  }

  clear(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.at = undefined;
  }
}
