import { redactProbeSpec } from '../config/probe-spec.ts';
import { notBefore, restartsInWindow } from './budget.ts';
import type { ContainerWatch } from './container-watch.ts';
import { healthcheckProblems } from './discover.ts';
import { isoTime } from '../iso-time.ts';

/** A watched container's condition in one word, most pressing first; the metrics count containers by it. */
export const SUMMARY_STATES = ['error', 'gave_up', 'crashloop', 'restarting', 'held', 'backoff', 'breaker', 'unhealthy', 'paused', 'exited', 'stopped', 'starting', 'healthy', 'running'] as const;
export type SummaryState = (typeof SUMMARY_STATES)[number];

/**
 * error: an unexpected error parked the watch; gave_up/crashloop: the crash-loop breaker; restarting:
 * healer's action is in flight; held/backoff/breaker: a decided restart waits (dependency, backoff,
 * mass-failure breaker); unhealthy: liveness failing (also while its restart waits for the next
 * liveness probe because the re-check was put off by the match budget); paused: `docker pause`, never acted on;
 * exited/stopped: down after a crash / by an operator; starting: no verdict yet; healthy: liveness
 * passes; running: no liveness check to judge by.
 */
export function summaryState(w: ContainerWatch, now: number): SummaryState {
  const s = w.state;
  if (w.error) return 'error';
  if (s.budget.loop === 'gave_up') return 'gave_up';
  if (s.inFlight || s.lifecycle === 'restarting') return 'restarting';
  if (s.pending) {
    if (s.heldBy !== undefined) return 'held';
    const due = dueAt(w);
    if (due !== undefined && due > now) return s.budget.loop === 'open' ? 'crashloop' : 'backoff';
    // Held while a stop signal's exit is awaited (SIGTERM draining): a wait of its own, not the breaker.
    if (w.events.stopSignalled(now)) return 'backoff';
    // Held because its liveness could not be checked again (the match budget): its next probe decides.
    if (s.pending.recheckHeld) return 'unhealthy';
    return 'breaker';
  }
  if (s.budget.loop === 'open') return 'crashloop';
  if (s.lifecycle === 'paused') return 'paused';
  if (s.lifecycle === 'exited') return 'exited';
  if (s.lifecycle === 'stopped') return 'stopped';
  if (!w.policy.liveness) return 'running';
  if (s.liveness.up === false) return 'unhealthy';
  return s.liveness.up === true ? 'healthy' : 'starting';
}

/** One container as the status data shows it: policy, states, last probes, restarts, standing decisions. */
export interface ContainerStatus {
  readonly id: string;
  readonly name: string;
  readonly project: string | undefined;
  readonly service: string | undefined;
  /** For a Swarm task: its service, slot (replicated) or node (global), and task id. */
  readonly task?: { readonly service: string; readonly slot: number | undefined; readonly node: string; readonly taskId: string } | undefined;
  readonly state: SummaryState;
  readonly lifecycle: string;
  readonly liveness: { readonly probe: string; readonly up: boolean | undefined; readonly failures: number } | undefined;
  readonly readiness: { readonly probe: string; readonly up: boolean | undefined; readonly failures: number } | undefined;
  readonly lastProbe: ContainerWatch['last'];
  readonly restartsInWindow: number;
  readonly crashLoop: 'closed' | 'open' | 'gave_up';
  readonly backoffUntil: string | undefined;
  readonly pending: string | undefined;
  readonly heldBy: string | undefined;
  readonly lastExit: { readonly exitCode: number; readonly oom: boolean; readonly at: string } | undefined;
  /** Why the watch was parked (state error). */
  readonly error: string | undefined;
  /** Why a probe cannot reach the container, or can never fail (`docker` with no HEALTHCHECK): a configuration problem, never acted on. */
  readonly configProblem: string | undefined;
}

export function containerStatus(w: ContainerWatch, now: number): ContainerStatus {
  const s = w.state;
  const rules = { backoff: w.policy.backoff, crashloop: w.policy.crashloop };
  const due = dueAt(w);
  const track = (role: 'liveness' | 'readiness') => {
    const p = w.policy[role];
    return p ? { probe: redactProbeSpec(p.spec), up: s[role].up, failures: s[role].failures } : undefined;
  };
  return {
    id: w.id,
    name: w.name,
    project: w.info.project,
    service: w.info.service,
    ...(w.info.task ? { task: w.info.task } : {}),
    state: summaryState(w, now),
    lifecycle: s.lifecycle,
    liveness: track('liveness'),
    readiness: track('readiness'),
    lastProbe: w.last,
    restartsInWindow: restartsInWindow(s.budget, now, rules),
    crashLoop: s.budget.loop,
    backoffUntil: due !== undefined && due > now ? isoTime(due) : undefined,
    pending: s.pending ? `${s.pending.kind}: ${s.pending.reason}` : undefined,
    heldBy: s.heldBy,
    lastExit: s.lastExit ? { exitCode: s.lastExit.exitCode, oom: s.lastExit.oom, at: isoTime(s.lastExit.at) } : undefined,
    error: w.error?.message,
    configProblem: [w.configProblem, ...healthcheckProblems(w.info, w.policy)].filter((p) => p !== undefined).join('; ') || undefined,
  };
}

/** When a decided action may be taken: the restart backoff, or a refused stop's own (Pending.notBefore). */
function dueAt(w: ContainerWatch): number | undefined {
  const budget = notBefore(w.state.budget, { backoff: w.policy.backoff, crashloop: w.policy.crashloop });
  const stop = w.state.pending?.notBefore;
  return stop === undefined ? budget : Math.max(stop, budget ?? stop);
}
