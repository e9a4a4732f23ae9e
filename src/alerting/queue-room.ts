import type { Alert } from './types.ts';

/** Whose alert it is: its container, or the host (paused, docker_unreachable, ...). */
function identity(a: Alert): string {
  return a.container?.id ?? '';
}

/**
 * Which alert a full channel queue drops when `incoming` arrives: the index of a queued alert, or
 * undefined for `incoming` itself. A channel's queue is shared by every container, and a label author
 * can make many of theirs fail at once (review 14): dropping the newest alert let such a flood drop
 * another container's first (even critical) alert. So the alert dropped is one of the container with the
 * most alerts queued (its oldest non-critical one, else its oldest), unless the incoming alert's own
 * container already has as many queued; then the incoming one goes, as before, except that a critical
 * alert displaces the oldest non-critical alert of a container with at least as many queued.
 */
export function alertToDrop(queue: readonly Alert[], incoming: Alert): number | undefined {
  const counts = new Map<string, number>();
  for (const a of queue) counts.set(identity(a), (counts.get(identity(a)) ?? 0) + 1);
  const mine = counts.get(identity(incoming)) ?? 0;
  const most = Math.max(0, ...counts.values());
  const oldest = (ok: (a: Alert) => boolean): number | undefined => {
    const i = queue.findIndex(ok);
    return i < 0 ? undefined : i;
  };
  const heavy = (a: Alert, atLeast: number): boolean => (counts.get(identity(a)) ?? 0) >= atLeast;
  if (mine < most) return oldest((a) => heavy(a, most) && a.severity !== 'critical') ?? oldest((a) => heavy(a, most));
  if (incoming.severity === 'critical') return oldest((a) => heavy(a, Math.max(mine, 1)) && a.severity !== 'critical');
  return undefined;
}
