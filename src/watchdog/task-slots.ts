/**
 * Crash loops of orchestrated services. An orchestrator (Swarm) replaces a failing task with a new
 * container under a new name and id, so no one container's restart budget ever sees the loop: failures
 * are counted per service slot (replicated) or per service and node (global), across the containers the
 * orchestrator creates in it. A task that an operator or the orchestrator stops (an update, a scale-down)
 * is no failure: rolling updates never look like a loop. Pure functions over plain data, persisted as is.
 */
import type { TaskInfo } from '../docker/types.ts';

/**
 * How a task failed: it exited by itself, its HEALTHCHECK had it stopped, healer handed it back, or (seen
 * from a manager's task list, cluster-slots.ts) its orchestrator failed it with no exit code to say.
 */
export type Failure =
  | { readonly kind: 'exit'; readonly exitCode: number }
  | { readonly kind: 'unhealthy' }
  | { readonly kind: 'replaced' }
  | { readonly kind: 'failed'; readonly err?: string };

/** What healer keeps of one slot: its failed tasks within the crash-loop window, oldest first. */
export interface SlotRecord {
  /** One entry per task (a container fails once: it is never started again), at most MAX_FAILURES. */
  readonly failures: readonly ({ readonly task: string; readonly at: number } & Failure)[];
  /** When the last `crashloop` alert for the slot went out. */
  readonly alertedAt: number | undefined;
  /**
   * Cluster records only (cluster-slots.ts): the failed tasks the manager listed at the last poll. Each
   * counts once however its timestamp reads (a node clock ahead, none at all), also after it left the
   * window; bounded by what the manager lists (task-history-limit per slot).
   */
  readonly seen?: readonly string[];
  /**
   * The key of the slot's open `crashloop` alert (Alert.key, alertedAs), so it can be ended: a node's
   * count's `<slot>@<task>`, the cluster count's `cluster:<slot>@<task>`; a cluster record from before
   * keys were theirs holds the task's container id.
   */
  readonly alertedId?: string;
  /**
   * A node's record: its slot's `healer.crashloop.window`, as its latest failed task told it. Kept so a
   * restarted healer ends (and forgets) the slot by its own window, not `defaults.crashloop.window`.
   */
  readonly windowMs?: number;
}

export interface SlotRules {
  /** More failed tasks than this within the window is a crash loop (`crashloop.restarts`). */
  readonly restarts: number;
  readonly windowMs: number;
  /** One alert per slot per this long (`alerts.throttle.window`). */
  readonly throttleMs: number;
}

/**
 * The most failures kept per slot: enough to count past any sensible `crashloop.restarts`; a task that
 * fails at once is replaced every `restart_policy.delay` (5 s: 120 in 10 minutes).
 */
export const MAX_FAILURES = 200;

/** The slot a task belongs to: `web.2` (replicated) or `web@<node id>` (global). */
export function slotKey(t: TaskInfo): string {
  return t.slot !== undefined ? `${t.service}.${t.slot}` : `${t.service}@${t.node}`;
}

const EMPTY: SlotRecord = { failures: [], alertedAt: undefined };

/** A task of the slot failed at `at`; the same task again changes nothing. */
export function taskFailed(r: SlotRecord | undefined, task: string, at: number, failure: Failure, windowMs: number, now = at): SlotRecord {
  const kept = inWindow(r ?? EMPTY, now, windowMs);
  if (now - at >= windowMs || kept.failures.some((f) => f.task === task)) return kept;
  const failures = [...kept.failures, { task, at, ...failure }].sort((a, b) => a.at - b.at).slice(-MAX_FAILURES);
  return { ...kept, failures };
}

function inWindow(r: SlotRecord, at: number, windowMs: number): SlotRecord {
  const base = notAhead(r, at);
  const failures = base.failures.filter((f) => at - f.at < windowMs);
  return failures.length === base.failures.length ? base : { ...base, failures };
}

/**
 * Times after `at` (the wall clock was stepped back since, or the record was kept on a clock ahead) taken
 * as `at`: the window then ends a window after the step, and alerts are throttled as long, not the step
 * longer (kept, so the record ages from there).
 */
function notAhead(r: SlotRecord, at: number): SlotRecord {
  const alertedAhead = r.alertedAt !== undefined && r.alertedAt > at;
  if (!alertedAhead && !r.failures.some((f) => f.at > at)) return r;
  return { ...r, failures: r.failures.map((f) => (f.at > at ? { ...f, at } : f)), alertedAt: alertedAhead ? at : r.alertedAt };
}

/** Failed tasks within the window. */
export function failed(r: SlotRecord, at: number, windowMs: number): number {
  return r.failures.filter((f) => at - f.at < windowMs).length;
}

/** Whether the slot is in a crash loop now. */
export function looping(r: SlotRecord, at: number, rules: SlotRules): boolean {
  return failed(r, at, rules.windowMs) > rules.restarts;
}

/** Whether a `crashloop` alert is due: the slot loops and none went out within the throttle window. */
export function alertDue(r: SlotRecord, at: number, rules: SlotRules): boolean {
  return looping(r, at, rules) && (r.alertedAt === undefined || at - r.alertedAt >= rules.throttleMs);
}

const DESCRIBE: { readonly [K in Failure['kind']]: (f: Extract<Failure, { kind: K }>) => string } = {
  exit: (f) => `exit ${f.exitCode}`,
  unhealthy: () => 'unhealthy',
  replaced: () => "failed healer's probe",
  failed: (f) => (f.err ? `failed (${f.err.slice(0, 100)})` : 'failed'),
};

/** The alert's reason: how many tasks failed in what window, and how the last ones did. */
export function loopReason(key: string, r: SlotRecord, at: number, rules: SlotRules): string {
  const recent = r.failures.filter((f) => at - f.at < rules.windowMs);
  const last = recent.slice(-6).map((f) => (DESCRIBE[f.kind] as (x: Failure) => string)(f));
  const window = `${Math.round(rules.windowMs / 1000)}s`;
  return `${key}: ${recent.length} tasks failed within ${window} (limit ${rules.restarts}); last: ${last.join(', ')}; its orchestrator keeps replacing them (in Swarm, deploy.restart_policy delay, max_attempts and window slow or end the loop)`;
}

/** The exit code of the latest failure that was an exit, for the alert. */
export function lastExitCode(r: SlotRecord): number | undefined {
  for (let i = r.failures.length - 1; i >= 0; i--) {
    const f = r.failures[i];
    if (f?.kind === 'exit') return f.exitCode;
  }
  return undefined;
}

/** Drops what lies outside the window; undefined when nothing is left to keep. */
export function pruned(r: SlotRecord, at: number, windowMs: number): SlotRecord | undefined {
  const kept = inWindow(r, at, windowMs);
  return kept.failures.length === 0 ? undefined : kept;
}

/**
 * A slot's `crashloop` alert is known by its own key (Alert.key), `<record key>@<task id>`, never by the
 * id of the task container it names: Swarm removes that container as task history while the slot loops
 * on, and the watchdog ends a removed container's alerts. Task ids are unique across the swarm, so no
 * two healers' keys collide. Returns the record marked with the key, the key, and the key of the alert
 * the slot had open before when it named another task (to be ended: one open alert per slot).
 */
export function alertedAs(r: SlotRecord, recordKey: string, taskId: string, before: SlotRecord | undefined): { record: SlotRecord; key: string; ended: string | undefined } {
  const key = `${recordKey}@${taskId}`;
  const ended = before?.alertedId !== undefined && before.alertedId !== key ? before.alertedId : undefined;
  return { record: { ...r, alertedId: key }, key, ended };
}

/**
 * A record no count adds to now: a node's slot record whose alert is open (slot-watch.ts), or a cluster
 * record whose slot the manager no longer lists (its service removed or no longer watched, `windowMs`
 * undefined) or is not asked about (a follower, node mode). Failures outside the window are dropped,
 * `seen` too (those tasks are no longer listed). `ended`: the open alert to end, once nothing is left.
 */
export function forgetStep(r: SlotRecord, now: number, windowMs: number | undefined): { record: SlotRecord | undefined; ended: string | undefined } {
  const kept = windowMs === undefined ? undefined : pruned(r, now, windowMs);
  if (kept === undefined) return { record: undefined, ended: r.alertedId };
  if (kept === r && r.seen === undefined) return { record: r, ended: undefined };
  const { seen: _s, ...rest } = kept;
  return { record: rest, ended: undefined };
}
