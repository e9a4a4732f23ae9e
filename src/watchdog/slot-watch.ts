import type { AlertSink } from './actor.ts';
import { containerAlert } from './alert-input.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { CLUSTER_PREFIX } from './cluster-slots.ts';
import { crashedExit } from './exits.ts';
import type { HistorySink } from './history.ts';
import type { StateFile } from './state-file.ts';
import { delayUntil } from './timer-limit.ts';
import { alertDue, alertedAs, forgetStep, lastExitCode, loopReason, looping, slotKey, taskFailed, type Failure, type SlotRecord, type SlotRules } from './task-slots.ts';

export interface TaskSlotsDeps {
  readonly state: StateFile;
  readonly clock: Clock;
  readonly alerter: AlertSink;
  readonly history: HistorySink;
  /** `alerts.throttle.window`: one `crashloop` alert per slot per this long. */
  readonly throttleMs: number;
  /**
   * `swarm.crashloops`: with `cluster`, replicated slots are alerted by the Swarm leader's healer from
   * its task list (cluster-watch.ts); here they are still counted, to keep their tasks' `died` alerts
   * quiet while they loop. Global services are per node either way, exact here.
   */
  readonly crashloops?: 'node' | 'cluster';
  /**
   * With `cluster`: whether the leader's count speaks for replicated slots now; false while this node
   * cannot learn who leads (cluster-watch.ts `fallback`), when this node alerts them itself as with
   * `node`. Absent: always.
   */
  readonly clusterCounts?: () => boolean;
  /**
   * `defaults.crashloop.window`: the window an open slot alert a former run left (state file) is ended
   * by when its record keeps none (written by a healer before records kept their slot's window), until a
   * task of its slot tells its own. Absent: 10 minutes.
   */
  readonly defaultWindowMs?: number;
}

/**
 * Follows the crash loops of orchestrated service slots (task-slots.ts) as their task containers fail:
 * each failed task counts in its slot, and one `crashloop` alert goes out per slot per throttle window.
 * Its history lives in the state file, so a loop is still one loop across healer's restarts.
 */
export class TaskSlots {
  private readonly deps: TaskSlotsDeps;
  /** With `cluster`: when this node last let a `died` alert out per replicated slot (bounded: pruned past its crash-loop window). */
  private readonly diedAt = new Map<string, { at: number; windowMs: number }>();
  /** This node's slots whose `crashloop` alert is open: when to look whether the slot is quiet, by which window (bounded by the looping slots). */
  private readonly open = new Map<string, { timer: object; windowMs: number }>();
  private stopped = false;

  constructor(deps: TaskSlotsDeps) {
    this.deps = deps;
    // With `node`, no cluster count runs here: records it left (swarm.crashloops was `cluster`) are dropped.
    if (deps.crashloops !== 'cluster') for (const key of deps.state.slotKeys()) if (key.startsWith(CLUSTER_PREFIX)) this.dropCluster(key);
  }

  /**
   * Takes up the open alerts a former run left in the state file: each is ended once its slot is quiet.
   * Called before discovery, so the records' open alerts are looked after from the start.
   */
  start(): void {
    const windowMs = this.deps.defaultWindowMs ?? 600_000;
    for (const key of this.deps.state.slotKeys()) {
      const r = this.deps.state.slot(key);
      // By the slot's own window (kept with its record): by the default one, a slot whose own is longer
      // would be forgotten while it still loops, its next task's `died` alert sent as the first.
      if (!key.startsWith(CLUSTER_PREFIX) && r?.alertedId !== undefined) this.endWhenQuiet(key, r, r.windowMs ?? windowMs);
    }
  }

  /** healer stops: no more looks (the state file keeps what is open for the next run). */
  stop(): void {
    this.stopped = true;
    for (const o of this.open.values()) this.deps.clock.clearTimeout(o.timer);
    this.open.clear();
  }

  /**
   * A watch was made for a container: a task found already exited by a crash (task history at
   * start-up, or one that died before healer saw it run) counts as failed when it did.
   */
  found(w: ContainerWatch): void {
    const { info } = w;
    if (!info.task) return;
    this.prune(w);
    if (!info.running && info.finishedAt > 0 && crashedExit(info)) this.record(w, { kind: 'exit', exitCode: info.exitCode }, info.finishedAt);
  }

  /**
   * A task failed (exited by itself, stopped while unhealthy, handed back by healer). Returns whether a
   * per-task alert about it is still worth sending: not while its slot loops (each new task would
   * alert again under its new name; the slot's crashloop alert speaks for them).
   */
  failed(w: ContainerWatch, failure: Failure): boolean {
    const t = w.info.task;
    if (!t) return true;
    const now = this.deps.clock.now();
    const r = this.record(w, failure, now);
    if (r !== undefined && looping(r, now, this.rules(w))) return false;
    // Only an exit is a `died` alert (the other failures' callers send none): only it is throttled.
    if (this.deps.crashloops !== 'cluster' || t.slot === undefined || failure.kind !== 'exit') return true;
    // A replicated slot looping across nodes shows here as a failed task every now and then, each under
    // a new name. Held back only while a loop is plausible here (the leader alerts the loop): this node
    // told a `died` of the slot within crashloop.window, and the slot fails at a loop's pace (its
    // previous failure here less than window / (restarts + 1) ago) or two more of its tasks failed here
    // in the window. A later, unrelated death (one earlier failure, minutes before) is still told.
    const key = slotKey(t);
    const rules = this.rules(w);
    for (const [k, d] of this.diedAt) {
      if (d.at > now) d.at = now; // the clock was stepped back since: the window counts from here
      if (now - d.at >= d.windowMs) this.diedAt.delete(k);
    }
    if (this.diedAt.has(key) && r !== undefined && loopPace(r, t.taskId, now, rules)) return false;
    this.diedAt.set(key, { at: now, windowMs: rules.windowMs });
    return true;
  }

  /** Whether the leader's count alerts this task's slot (a replicated slot with `cluster`, leadership known). */
  private clusterAlerts(t: NonNullable<ContainerWatch['info']['task']>): boolean {
    return this.deps.crashloops === 'cluster' && t.slot !== undefined && this.deps.clusterCounts?.() !== false;
  }

  private dropCluster(key: string): void {
    const r = this.deps.state.slot(key);
    if (r?.alertedId !== undefined) this.deps.alerter.containerGone(r.alertedId);
    this.deps.state.setSlot(key, undefined);
  }

  private record(w: ContainerWatch, failure: Failure, at: number): SlotRecord | undefined {
    const t = w.info.task;
    if (!t) return undefined;
    const now = this.deps.clock.now();
    const key = slotKey(t);
    const rules = this.rules(w);
    const before = this.deps.state.slot(key);
    const counted = taskFailed(before, t.taskId, at, failure, rules.windowMs, now);
    // The slot's window is kept with it: a healer restarted, or a look at the slot by another service's
    // watch, prunes and forgets it by its own window, not by one it never had.
    const next = counted.windowMs === rules.windowMs ? counted : { ...counted, windowMs: rules.windowMs };
    if (next !== before) this.deps.state.setSlot(key, next);
    const open = this.open.get(key);
    if (open) open.windowMs = rules.windowMs;
    if (this.clusterAlerts(t)) return next;
    if (!alertDue(next, now, rules)) return next;
    // Known by its own key, not by the container's id: Swarm removes the container as task history while
    // the slot loops on, and the watchdog ends a removed container's alerts. One open alert per slot.
    const { record, key: id, ended } = alertedAs({ ...next, alertedAt: now }, key, t.taskId, before);
    if (ended !== undefined) this.deps.alerter.containerGone(ended);
    this.deps.state.setSlot(key, record);
    if (!open) this.endWhenQuiet(key, record, rules.windowMs);
    const reason = loopReason(key, next, now, rules);
    const exitCode = lastExitCode(next);
    w.log.error({ event: 'crashloop', slot: key, reason }, 'service slot crash loop');
    this.deps.history.transition({ at: now, container: w.name, project: w.info.project, event: 'crashloop', reason, exitCode });
    this.deps.alerter.emit(containerAlert(w, 'crashloop', reason, now, { key: id, ...(exitCode !== undefined ? { exitCode } : {}) }));
    return next;
  }

  /**
   * Looks at an alerted slot when its latest failure leaves the window: quiet then (nothing left), its
   * alert is ended and the slot forgotten; still failing, it looks again at its new latest failure's
   * end. A service removed, or no longer watched, fails no more here: it is forgotten so, within its
   * window (a node has no list of services to ask: a worker cannot read one).
   */
  private endWhenQuiet(key: string, r: SlotRecord, windowMs: number): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const last = Math.min(r.failures.at(-1)?.at ?? now, now); // (a time ahead: the clock was stepped back)
    // Capped at Node's timer limit (the state file's times may lie far ahead of the clock): looked at early,
    // the slot is still in its window, and the look re-arms.
    const timer = this.deps.clock.setTimeout(() => this.lookQuiet(key), delayUntil(last + windowMs, now));
    timer.unref?.();
    this.open.set(key, { timer, windowMs });
  }

  private lookQuiet(key: string): void {
    const o = this.open.get(key);
    this.open.delete(key);
    const r = this.deps.state.slot(key);
    if (!o || !r) return;
    const { record, ended } = forgetStep(r, this.deps.clock.now(), o.windowMs);
    if (ended !== undefined) this.deps.alerter.containerGone(ended);
    if (record !== r) this.deps.state.setSlot(key, record);
    if (record?.alertedId !== undefined) this.endWhenQuiet(key, record, o.windowMs);
  }

  private rules(w: ContainerWatch): SlotRules {
    return { restarts: w.policy.crashloop.restarts, windowMs: w.policy.crashloop.windowMs, throttleMs: this.deps.throttleMs };
  }

  /**
   * Slots with nothing left in the window are forgotten: the records stay bounded by the slots that fail.
   * The cluster count's records (cluster-watch.ts) are its own to prune; a slot whose alert is open is
   * left to its own look (endWhenQuiet: by its own window, ending the alert). Each by its own window, as
   * kept with its record; one that keeps none (an older state file's) by the found task's.
   */
  private prune(w: ContainerWatch): void {
    const now = this.deps.clock.now();
    for (const key of this.deps.state.slotKeys()) {
      if (key.startsWith(CLUSTER_PREFIX) || this.open.has(key)) continue;
      const r = this.deps.state.slot(key);
      if (!r) continue;
      const { record, ended } = forgetStep(r, now, r.windowMs ?? this.rules(w).windowMs);
      if (ended !== undefined) this.deps.alerter.containerGone(ended);
      if (record !== r) this.deps.state.setSlot(key, record);
    }
  }
}

/** Whether the slot's other failures within the window (besides `task`'s) look like a loop's: two or more, or one at a loop's pace. */
function loopPace(r: SlotRecord, task: string, now: number, rules: SlotRules): boolean {
  const others = r.failures.filter((f) => f.task !== task && now - f.at < rules.windowMs);
  const previous = Math.max(...others.map((f) => f.at));
  return others.length >= 2 || (others.length === 1 && now - previous < rules.windowMs / (rules.restarts + 1));
}
