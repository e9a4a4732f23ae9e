import type { AlertSink } from './actor.ts';
import { containerAlert } from './alert-input.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { HistorySink } from './history.ts';
import type { StateFile } from './state-file.ts';
import { alertDue, loopReason, looping, pruned, slotKey, taskExited, taskStarted, type SlotRecord, type SlotRules } from './task-slots.ts';

export interface TaskSlotsDeps {
  readonly state: StateFile;
  readonly clock: Clock;
  readonly alerter: AlertSink;
  readonly history: HistorySink;
  /** `alerts.throttle.window`: one `crashloop` alert per slot per this long. */
  readonly throttleMs: number;
}

/**
 * Follows the crash loops of orchestrated service slots (task-slots.ts) as watches of task containers
 * come and go: a new task counts as a replacement in its slot, an exit adds its code, and one
 * `crashloop` alert goes out per slot per throttle window. Its history lives in the state file.
 */
export class TaskSlots {
  private readonly deps: TaskSlotsDeps;

  constructor(deps: TaskSlotsDeps) {
    this.deps = deps;
  }

  /** A watch was made for a container: a task's start counts in its slot. */
  started(w: ContainerWatch): void {
    const t = w.info.task;
    if (!t || w.info.startedAt <= 0) return;
    const now = this.deps.clock.now();
    const key = slotKey(t);
    const rules = this.rules(w);
    this.prune(now, rules.windowMs);
    const before = this.deps.state.slot(key);
    let next = taskStarted(before, t.taskId, w.info.startedAt, now, rules.windowMs);
    // A task found already exited (history, or one that died before healer saw it start): its code too.
    if (next !== before && next.starts.length > (before?.starts.length ?? 0) && !w.info.running && w.info.finishedAt > 0) {
      next = taskExited(next, w.info.finishedAt, w.info.exitCode, rules.windowMs);
    }
    if (next !== before) this.deps.state.setSlot(key, next);
    this.check(w, key, next, now, rules);
  }

  /**
   * A task container exited with `exitCode`. Returns whether its own `died` alert is still worth
   * sending: not while its slot loops (each new container would alert again under a new name).
   */
  exited(w: ContainerWatch, exitCode: number): boolean {
    const t = w.info.task;
    if (!t) return true;
    const now = this.deps.clock.now();
    const key = slotKey(t);
    const rules = this.rules(w);
    const next = taskExited(this.deps.state.slot(key), now, exitCode, rules.windowMs);
    this.deps.state.setSlot(key, next);
    this.check(w, key, next, now, rules);
    return !looping(next, now, rules);
  }

  private rules(w: ContainerWatch): SlotRules {
    return { restarts: w.policy.crashloop.restarts, windowMs: w.policy.crashloop.windowMs, throttleMs: this.deps.throttleMs };
  }

  private check(w: ContainerWatch, key: string, r: SlotRecord, now: number, rules: SlotRules): void {
    if (!alertDue(r, now, rules)) return;
    this.deps.state.setSlot(key, { ...r, alertedAt: now });
    const reason = loopReason(key, r, now, rules);
    const last = r.exits.at(-1);
    w.log.error({ event: 'crashloop', slot: key, reason }, 'service slot crash loop');
    this.deps.history.transition({ at: now, container: w.name, project: w.info.project, event: 'crashloop', reason, exitCode: last?.exitCode });
    this.deps.alerter.emit(containerAlert(w, 'crashloop', reason, now, last ? { exitCode: last.exitCode } : {}));
  }

  /** Slots with nothing left in the window are forgotten: the records stay bounded by the slots that fail. */
  private prune(now: number, windowMs: number): void {
    for (const key of this.deps.state.slotKeys()) {
      const r = this.deps.state.slot(key);
      if (!r) continue;
      const kept = pruned(r, now, windowMs);
      if (kept !== r) this.deps.state.setSlot(key, kept);
    }
  }
}
