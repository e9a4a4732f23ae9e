/**
 * Crash loops of orchestrated services. An orchestrator (Swarm) replaces a failing task with a new
 * container under a new name and id, so no one container's restart budget ever sees the loop: it is
 * counted per service slot (replicated) or per service and node (global), across the containers the
 * orchestrator creates in it. Pure functions over plain data, persisted as is in the state file.
 */
import type { TaskInfo } from '../docker/types.ts';

/** What healer keeps of one slot: the tasks started in it and their exits within the crash-loop window. */
export interface SlotRecord {
  /** Distinct tasks started in the slot within the window, oldest first. */
  readonly starts: readonly { readonly task: string; readonly at: number }[];
  /** The last exits of its tasks within the window (at most MAX_EXITS), oldest first. */
  readonly exits: readonly { readonly at: number; readonly exitCode: number }[];
  /** When the last `crashloop` alert for the slot went out. */
  readonly alertedAt: number | undefined;
}

export interface SlotRules {
  /** More replacements than this within the window is a crash loop (`crashloop.restarts`). */
  readonly restarts: number;
  readonly windowMs: number;
  /** One alert per slot per this long (`alerts.throttle.window`). */
  readonly throttleMs: number;
}

export const MAX_EXITS = 10;

/** The slot a task belongs to: `web.2` (replicated) or `web@<node id>` (global). */
export function slotKey(t: TaskInfo): string {
  return t.slot !== undefined ? `${t.service}.${t.slot}` : `${t.service}@${t.node}`;
}

const EMPTY: SlotRecord = { starts: [], exits: [], alertedAt: undefined };

function inWindow(r: SlotRecord, at: number, windowMs: number): SlotRecord {
  const starts = r.starts.filter((s) => at - s.at < windowMs);
  const exits = r.exits.filter((e) => at - e.at < windowMs);
  return starts.length === r.starts.length && exits.length === r.exits.length ? r : { ...r, starts, exits };
}

/** A task of the slot was started at `startedAt` (seen again: no change). */
export function taskStarted(r: SlotRecord | undefined, task: string, startedAt: number, now: number, windowMs: number): SlotRecord {
  const kept = inWindow(r ?? EMPTY, now, windowMs);
  if (now - startedAt >= windowMs || kept.starts.some((s) => s.task === task)) return kept;
  const starts = [...kept.starts, { task, at: startedAt }].sort((a, b) => a.at - b.at);
  return { ...kept, starts };
}

/** A task of the slot exited with `exitCode`. */
export function taskExited(r: SlotRecord | undefined, at: number, exitCode: number, windowMs: number): SlotRecord {
  const kept = inWindow(r ?? EMPTY, at, windowMs);
  return { ...kept, exits: [...kept.exits, { at, exitCode }].slice(-MAX_EXITS) };
}

/** Replacements within the window: every task started in it after the first. */
export function replacements(r: SlotRecord, at: number, windowMs: number): number {
  return Math.max(0, r.starts.filter((s) => at - s.at < windowMs).length - 1);
}

/** Whether the slot is in a crash loop now. */
export function looping(r: SlotRecord, at: number, rules: SlotRules): boolean {
  return replacements(r, at, rules.windowMs) > rules.restarts;
}

/** Whether a `crashloop` alert is due: the slot loops and none went out within the throttle window. */
export function alertDue(r: SlotRecord, at: number, rules: SlotRules): boolean {
  return looping(r, at, rules) && (r.alertedAt === undefined || at - r.alertedAt >= rules.throttleMs);
}

/** The alert's reason: how many replacements, in what window, with which exit codes. */
export function loopReason(key: string, r: SlotRecord, at: number, rules: SlotRules): string {
  const codes = r.exits.filter((e) => at - e.at < rules.windowMs).map((e) => e.exitCode);
  const window = `${Math.round(rules.windowMs / 1000)}s`;
  const exits = codes.length > 0 ? `; last exit codes ${codes.join(', ')}` : '';
  return `${key}: ${replacements(r, at, rules.windowMs)} replacement tasks within ${window} (limit ${rules.restarts})${exits}; its orchestrator keeps replacing it (in Swarm, deploy.restart_policy delay, max_attempts and window slow or end the loop)`;
}

/** Drops what lies outside the window; undefined when nothing is left to keep. */
export function pruned(r: SlotRecord, at: number, windowMs: number): SlotRecord | undefined {
  const kept = inWindow(r, at, windowMs);
  return kept.starts.length === 0 && kept.exits.length === 0 ? undefined : kept;
}
