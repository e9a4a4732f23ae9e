/**
 * Crash loops of replicated service slots counted across the whole cluster, from a manager's task list
 * (`swarm.crashloops: cluster`). Swarm places a slot's replacement tasks on any node, so one node's
 * healer sees only its share; the leader's task list holds them all, but only the last few per slot
 * (`task-history-limit`, 5 by default), so failures are accumulated across polls by task id, with the
 * same records, rules and alert text as a node's own count (task-slots.ts). Pure functions.
 */
import type { ClusterTask } from '../docker/swarm-view.ts';
import { alertDue, pruned, taskFailed, type Failure, type SlotRecord, type SlotRules } from './task-slots.ts';

/**
 * State-file keys of cluster records start with this: a node's own count of the same slot (kept for its
 * `died` alerts) lives beside them under the plain key and must not be pruned with another window.
 */
export const CLUSTER_PREFIX = 'cluster:';

/** The slot a replicated task belongs to (`web.2`, as slotKey says); undefined for a global service's task. */
export function clusterSlot(t: ClusterTask): string | undefined {
  return t.slot !== undefined ? `${t.service}.${t.slot}` : undefined;
}

/**
 * How a task the orchestrator holds as failed failed; undefined for every other task (running, or
 * stopped by an update or a scale-down: those are no failures). Swarm says `task: non-zero exit (137):
 * dockerexec: unhealthy container` of a task its HEALTHCHECK failed, `task: non-zero exit (3)` of an exit.
 */
export function failureOf(t: ClusterTask): Failure | undefined {
  if (!t.failed) return undefined;
  if (t.err !== undefined && /unhealthy/i.test(t.err)) return { kind: 'unhealthy' };
  if (t.exitCode !== undefined) return { kind: 'exit', exitCode: t.exitCode };
  return t.err !== undefined ? { kind: 'failed', err: t.err } : { kind: 'failed' };
}

/** The replicated tasks of one poll, by slot, oldest first. */
export function bySlot(tasks: readonly ClusterTask[]): Map<string, ClusterTask[]> {
  const out = new Map<string, ClusterTask[]>();
  for (const t of [...tasks].sort((a, b) => a.at - b.at)) {
    const key = clusterSlot(t);
    if (key === undefined) continue;
    const list = out.get(key);
    if (list) list.push(t);
    else out.set(key, [t]);
  }
  return out;
}

/** What one poll makes of a slot: its new record (undefined: nothing left to keep) and whether to alert now. */
export interface SlotStep {
  readonly record: SlotRecord | undefined;
  readonly alert: boolean;
  /** The slot's latest failed task, which the alert names. */
  readonly last: ClusterTask | undefined;
  /** The container (or task) whose open alert is to be ended: the slot has no failure left in the window. */
  readonly ended?: string;
}

/**
 * One poll's view of a slot: each failed task counts once (a task seen in an earlier poll is not counted
 * again, also after it left the window: `seen`; one gone from the list stays counted while in the
 * window). A task whose timestamp is no usable past time (a node's clock ahead, none, Go's zero time)
 * counts at `now`. Then the alert is due as for a node's own count: the slot loops and none went out
 * within the throttle window. A due alert is marked in the returned record (`alertedAt`), so the caller
 * only sends it and saves the record; `ended` names the open alert to end (no failure left in the window).
 */
export function countSlot(before: SlotRecord | undefined, tasks: readonly ClusterTask[], rules: SlotRules, now: number): SlotStep {
  let r: SlotRecord | undefined = before;
  let last: ClusterTask | undefined;
  const seen = new Set(before?.seen ?? []);
  const listed: string[] = [];
  for (const t of tasks) {
    const f = failureOf(t);
    if (f === undefined) continue;
    last = t;
    listed.push(t.taskId);
    if (seen.has(t.taskId)) continue;
    r = taskFailed(r, t.taskId, t.at > 0 ? Math.min(t.at, now) : now, f, rules.windowMs, now);
  }
  const kept = r && pruned(r, now, rules.windowMs);
  if (kept === undefined) {
    const ended = before?.alertedId;
    // Nothing in the window: only what the manager still lists is remembered, so it is not counted again.
    const record = listed.length === 0 ? undefined : withSeen({ failures: [], alertedAt: before?.alertedAt }, listed, before);
    return { record, alert: false, last, ...(ended !== undefined ? { ended } : {}) };
  }
  const next = withSeen(kept, listed, before);
  if (!alertDue(next, now, rules)) return { record: next, alert: false, last };
  return { record: { ...next, alertedAt: now }, alert: true, last };
}

/** `r` remembering `listed` as seen; `before` itself when nothing changed (no write). */
function withSeen(r: SlotRecord, listed: readonly string[], before: SlotRecord | undefined): SlotRecord {
  const { seen: _s, alertedId, ...rest } = r;
  const next = { ...rest, ...(listed.length > 0 ? { seen: [...listed] } : {}), ...(alertedId !== undefined && rest.failures.length > 0 ? { alertedId } : {}) };
  return before !== undefined && JSON.stringify(next) === JSON.stringify(before) ? before : next;
}

/**
 * A cluster record while the manager does not answer (the leader cannot read the services or tasks this
 * poll): its open alert is ended once no failure is left in the window, but what it remembers is kept
 * (`seen`, the throttle), since the same tasks will be listed again when the manager answers. A record
 * whose service's window is not known yet (no answer since healer started) is kept as it is.
 */
export function quietStep(r: SlotRecord, now: number, windowMs: number | undefined): { record: SlotRecord | undefined; ended: string | undefined } {
  if (windowMs === undefined) return { record: r, ended: undefined };
  const kept = pruned(r, now, windowMs);
  if (kept !== undefined) return { record: kept, ended: undefined };
  if (r.seen === undefined || r.seen.length === 0) return { record: undefined, ended: r.alertedId };
  const { alertedId, ...rest } = r;
  const record = rest.failures.length === 0 && alertedId === undefined ? r : { ...rest, failures: [] };
  return { record, ended: alertedId };
}
