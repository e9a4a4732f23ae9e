import type { ProbePolicy } from '../config/policy.ts';
import { cron } from '../lazy.ts';

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
