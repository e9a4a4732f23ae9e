import type { Action, Role } from './state-machine.ts';

/** What the history records: the state machine's notifications, healer's actions, and host-wide events. */
export type HistoryEvent =
  | 'unhealthy'
  | 'recovered'
  | 'not_ready'
  | 'ready'
  | 'restart_failed'
  | 'died'
  | 'crashloop'
  | 'orphan'
  | 'gave_up'
  | 'held'
  | 'withheld'
  | 'restarted'
  | 'started'
  | 'stopped'
  | 'replaced'
  | 'operator_stop'
  | 'operator_start'
  | 'paused'
  | 'resumed'
  | 'engine_unreachable'
  | 'engine_reconnected';

/** One transition; `container` is the name ('' for host-wide events), so history outlives a re-created container. */
export interface Transition {
  readonly at: number;
  readonly container: string;
  readonly project?: string | undefined;
  readonly event: HistoryEvent;
  readonly reason: string;
  readonly recoveryMs?: number | undefined;
  readonly exitCode?: number | undefined;
  readonly oom?: boolean | undefined;
}

/**
 * The watchdog's only view of the history store: injected like the clock, so the watchdog is tested
 * without a database, and each call site is one line.
 */
export interface HistorySink {
  transition(t: Transition): void;
  probe(containerId: string, name: string, role: Role, ok: boolean, latencyMs: number, at: number): void;
}

export const NO_HISTORY: HistorySink = { transition() {}, probe() {} };

/** Records a state-machine action if the history keeps it: one line at the call site. */
export function recordAction(sink: HistorySink, w: Parameters<typeof actionTransition>[0], a: Action, at: number): void {
  const t = actionTransition(w, a, at);
  if (t) sink.transition(t);
}

/** A state-machine action as a transition, or undefined for those the history does not keep (wake). */
export function actionTransition(w: { name: string; info: { project?: string | undefined }; state: { budget: { loop: string } } }, a: Action, at: number): Transition | undefined {
  const base = { at, container: w.name, project: w.info.project };
  if (a.type === 'notify') {
    const event = a.event === 'crashloop' && w.state.budget.loop === 'gave_up' ? 'gave_up' : a.event;
    return { ...base, event, reason: a.reason, recoveryMs: a.recoveryMs, exitCode: a.exitCode, oom: a.oom };
  }
  if (a.type === 'withheld') return { ...base, event: 'withheld', reason: `would ${a.would} (${a.why}): ${a.reason}` };
  return undefined;
}
