/**
 * What the cluster count (cluster-watch.ts) does with one slot's step (cluster-slots.ts): saves its
 * record, sends its `crashloop` alert naming the node the latest task failed on, and ends the open alert
 * it sent before (Alertmanager keeps it firing otherwise: the leader never watches that container, so no
 * `recovered` or removal would ever end it). Split from the poll so each file stays small.
 */
import type { Logger } from 'pino';
import type { Policy } from '../config/policy.ts';
import type { ClusterService, ClusterTask } from '../docker/swarm-view.ts';
import type { AlertSink } from './actor.ts';
import { taskAlert } from './alert-input.ts';
import { CLUSTER_PREFIX, type SlotStep } from './cluster-slots.ts';
import type { HistorySink } from './history.ts';
import type { StateFile } from './state-file.ts';
import { alertedAs, failed, forgetStep, lastExitCode, loopReason, type SlotRecord, type SlotRules } from './task-slots.ts';

export interface ClusterSinks {
  readonly state: StateFile;
  readonly log: Logger;
  readonly alerter: AlertSink;
  readonly history: HistorySink;
}

/** Where a task failed, for the operator to go: `hostname (node id)`, or the id when the manager did not name it. */
export function nodeOf(t: ClusterTask): string {
  return t.nodeName !== undefined && t.nodeName !== '' ? `${t.nodeName} (node ${t.node})` : `node ${t.node || 'unknown'}`;
}

/** Applies one poll's step of slot `key` (a watched service's): record, alert, and the end of an older alert. */
export function applyStep(sinks: ClusterSinks, key: string, before: SlotRecord | undefined, step: SlotStep, w: { service: ClusterService; policy: Policy }, rules: SlotRules, now: number): void {
  const full = CLUSTER_PREFIX + key;
  if (step.ended !== undefined) sinks.alerter.containerGone(step.ended);
  if (!step.alert || !step.record || !step.last) {
    if (step.record !== before) sinks.state.setSlot(full, step.record);
    return;
  }
  const t = step.last;
  // Its own identity (Alert.key), not the task container's id: the leader's own watchdog may watch that
  // container and end its alerts (alerter.containerGone) when Swarm removes it while the slot loops on.
  // The alert names the latest failed task: the one it named before is ended, or it would stay open.
  const { record, key: id, ended } = alertedAs(step.record, full, t.taskId, before);
  if (ended !== undefined) sinks.alerter.containerGone(ended);
  sinks.state.setSlot(full, record);
  const where = nodeOf(t);
  const reason = `${loopReason(key, step.record, now, rules)}; the last failed on ${where}`;
  const exitCode = lastExitCode(step.record);
  const name = `${t.service}.${t.slot ?? ''}.${t.taskId}`;
  sinks.log.error({ event: 'crashloop', slot: key, reason, counted: 'cluster', node: t.node, nodeName: t.nodeName }, 'service slot crash loop');
  sinks.history.transition({ at: now, container: name, project: w.service.project, event: 'crashloop', reason, exitCode });
  const container = { id: t.containerId ?? t.taskId, name, image: t.image, project: w.service.project, service: w.service.shortName };
  const extra = { restartsInWindow: failed(step.record, now, rules.windowMs), channels: w.policy.alert, taskId: t.taskId, key: id, ...(exitCode !== undefined ? { exitCode } : {}) };
  sinks.alerter.emit(taskAlert('crashloop', container, reason, extra));
}

/**
 * Cluster records the poll did not count: `windowOf` gives a watched slot's window (undefined: its
 * service is gone or no longer watched, so it is forgotten). Run on every poll, leader or not, so a
 * former leader's records do not stay forever; their open alerts are ended as they go.
 */
export function pruneOthers(sinks: ClusterSinks, counted: ReadonlySet<string>, now: number, windowOf: (key: string) => number | undefined, step = forgetStep): void {
  for (const full of sinks.state.slotKeys()) {
    if (!full.startsWith(CLUSTER_PREFIX)) continue;
    const key = full.slice(CLUSTER_PREFIX.length);
    const r = sinks.state.slot(full);
    if (!r || counted.has(key)) continue;
    const next = step(r, now, windowOf(key));
    if (next.ended !== undefined) sinks.alerter.containerGone(next.ended);
    if (next.record !== r) sinks.state.setSlot(full, next.record);
  }
}
