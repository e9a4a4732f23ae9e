/**
 * What a ContainerWatch is made of besides its I/O: the rules its state machine runs under, the state it
 * starts in (from inspect data and the state file), and whether its state counts as failing. Pure, so
 * container-watch.ts keeps only the schedules, the probes and the actions.
 */
import type { Policy, ProbePolicy } from '../config/policy.ts';
import { ANSWER_MS } from '../docker/engine-error.ts';
import { engineMayGiveUp, engineRestarts } from '../docker/restart-policy.ts';
import type { ContainerInfo } from '../docker/types.ts';
import { startsAfterExit } from './action-policy.ts';
import { endedByStop } from './bookkeeping.ts';
import { healthy, unhealthy, type Budget } from './budget.ts';
import { exitToResume, owedStartToResume, startedSince } from './exits.ts';
import type { MachineState, Rules } from './machine-types.ts';
import type { PersistedContainer } from './state-file.ts';
import { restoreAlerts } from './open-alerts.ts';
import { initialState } from './state-machine.ts';

/** The state machine's rules for one container, from its policy and its inspect data. */
export function watchRules(policy: Policy, info: ContainerInfo, dryRun: boolean): Rules {
  return {
    liveness: policy.liveness && trackRules(policy.liveness),
    readiness: policy.readiness && trackRules(policy.readiness),
    action: policy.action,
    dryRun,
    // A `--rm` container is removed by the engine as it exits: there is nothing left to start.
    restartOnExit: policy.restartOnExit && info.autoRemove !== true,
    engineRestarts: engineRestarts(info),
    // Never from the first inspect: an exit found down as the watch starts was not seen live, so the
    // engine's verdict on it is unknown (a restart policy's container found down may be someone's stop:
    // exit-verdict.ts); it is alerted and left down.
    engineGaveUp: false,
    task: info.task && { healthcheck: policy.task.healthcheck, orphans: policy.task.orphans },
    backoff: policy.backoff,
    crashloop: policy.crashloop,
  };
}

/**
 * The rules after fresh inspect data (`docker update --restart`, a restart count that moved, an exit the
 * engine left down: on-failure:N given up, or Docker's policy off after a `docker kill`); the same object
 * when nothing changed. `gaveUp`: the engine's verdict on the exit held, read once (exit-verdict.ts); a
 * give-up taken holds until the container runs again (container-watch.ts).
 */
export function followPolicy(rules: Rules, info: ContainerInfo, gaveUp: boolean): Rules {
  const next = { engineRestarts: engineRestarts(info), engineGaveUp: engineRestarts(info) && (gaveUp || rules.engineGaveUp === true) };
  return next.engineRestarts === rules.engineRestarts && next.engineGaveUp === (rules.engineGaveUp === true) ? rules : { ...rules, ...next };
}

/**
 * What `healer.restart.on_exit` does for this container, when that is not the plain "start it after a
 * crash": said once in the log as the watch starts and by `healer check`.
 */
export function onExitNote(policy: Pick<Policy, 'restartOnExit'>, info: ContainerInfo): string | undefined {
  if (!policy.restartOnExit) return undefined;
  if (info.autoRemove === true) return 'healer.restart.on_exit does not apply: the container was started with --rm (AutoRemove), so the engine removes it as it exits and it cannot be started again; its crashes are alerted (died) only';
  if (engineMayGiveUp(info)) return `healer.restart.on_exit applies once its restart policy on-failure:${String(info.restartRetries)} has given up (the engine restarts a crash ${String(info.restartRetries)} times first)`;
  if (engineRestarts(info)) return `healer.restart.on_exit applies only to a crash its restart policy ${info.restartPolicy} leaves down (Docker: after a docker kill with any signal, until the next start); the restarts the engine makes healer counts`;
  return undefined;
}

/**
 * Where a new watch starts: running or not as inspected, with the budget, last exit and open alerts the
 * state file kept (an alert whose probe the policy no longer has could never be ended: not restored;
 * one an operator's stop ended, or was about to, neither).
 */
export function watchStartState(info: ContainerInfo, policy: Policy, now: number, persisted: PersistedContainer | undefined): MachineState {
  const running = info.running && !info.restarting;
  const open = persisted?.alerts;
  const alerts = open && {
    unhealthy: policy.liveness ? open.unhealthy : undefined,
    not_ready: policy.readiness ? open.not_ready : undefined,
    unresolved: open.unresolved,
    crashloop: open.crashloop,
    held: open.held,
    restart_failed: open.restart_failed,
  };
  const start = initialState({
    running,
    paused: info.running && info.paused,
    startedAt: now,
    ...(persisted ? { budget: keptHealth(persisted, info, running, policy, now) } : {}),
    lastExit: running ? undefined : exitToResume(info, persisted, now, policy.crashloop.windowMs),
    owedStart: running ? undefined : owedStartToResume(info, persisted, policy.restartTimeoutMs + ANSWER_MS),
  });
  // An operator's stop the old healer saw, the container still down and not started since: the stop's
  // end of its open alerts (stop-end.ts), owed when that healer stopped within the delay, is made now.
  // Not for a quarantine container (healer's own stop reads as an operator's and leaves its alert open)
  // nor a task container (handed back; its orchestrator's business).
  if (persisted?.lifecycle === 'stopped' && !info.running && !startedSince(info, persisted) && policy.action !== 'stop' && !info.task) return endedByStop(start);
  return restoreAlerts(start, alerts);
}

/**
 * The Docker health a starting watch feeds its state machine. Docker says health only on a change, so
 * what it says now is all healer will hear: unhealthy is fed, and healthy again while no healer ran ends
 * a kept `unhealthy` (or an alert only `recovered` ends) now; otherwise nothing.
 */
export function startHealth(info: ContainerInfo, policy: Policy, s: MachineState): 'healthy' | 'unhealthy' | undefined {
  if (policy.liveness?.spec.kind !== 'docker' || !info.running || info.health === undefined) return undefined;
  return info.health === 'unhealthy' ? 'unhealthy' : info.health === 'healthy' && (s.liveness.up === false || s.unresolved) ? 'healthy' : undefined;
}

/**
 * The kept budget's `healthySince` holds only for the run it was kept in. A container found down is not
 * healthy (a time from before it died would reset its crash loop as soon as it is started again); one
 * found in a run started since is judged afresh; with no liveness probe, running is all "healthy" can
 * mean, so a running one counts from now at the latest (its budget then resets as a live one's would).
 */
function keptHealth(persisted: PersistedContainer, info: ContainerInfo, running: boolean, policy: Policy, now: number): Budget {
  if (!running) return unhealthy(persisted.budget);
  const budget = startedSince(info, persisted) ? unhealthy(persisted.budget) : persisted.budget;
  return policy.liveness ? budget : healthy(budget, now);
}

/**
 * Whether a container counts as failing for the breaker and for its dependents. One healer gave up on,
 * or parked, is alerted and left alone: it is no longer part of a host-wide failure.
 */
export function countsAsFailing(s: MachineState, rules: Rules, parked: boolean): boolean {
  if (parked || s.budget.loop === 'gave_up') return false;
  if (s.inFlight || s.lifecycle === 'restarting') return true;
  if (s.lifecycle === 'exited') {
    // A crash counts while healer would still start the container; one it leaves down stops counting.
    return startsAfterExit(rules) && s.lastExit !== undefined && (s.lastExit.exitCode !== 0 || s.lastExit.oom);
  }
  if (s.lifecycle !== 'running') return false;
  return s.liveness.up === false || s.liveness.failures > 0;
}

function trackRules(p: ProbePolicy): { failures: number; successes: number; startPeriodMs: number } {
  return { failures: p.failures, successes: p.successes, startPeriodMs: p.startPeriodMs };
}
