import type { AlertInput } from '../alerting/alerter.ts';
import type { AlertEvent } from '../alerting/types.ts';
import { probeSecrets } from '../config/probe-secrets.ts';
import { restartsInWindow } from './budget.ts';
import type { ContainerWatch } from './container-watch.ts';

const SUMMARY: Record<AlertEvent, (name: string) => string> = {
  unhealthy: (n) => `${n} is unhealthy`,
  restarted: (n) => `${n} restarted`,
  restart_failed: (n) => `restart of ${n} failed`,
  recovered: (n) => `${n} recovered`,
  died: (n) => `${n} died`,
  crashloop: (n) => `${n} is crash-looping`,
  orphan: (n) => `${n} runs outside its orchestrator`,
  not_ready: (n) => `${n} is not ready`,
  ready: (n) => `${n} is ready`,
  held: (n) => `restart of ${n} held`,
  paused: () => 'healer paused all restarts',
  resumed: () => 'healer resumed restarts',
  docker_unreachable: () => 'healer cannot reach the Docker engine',
  docker_reconnected: () => 'healer reconnected to the Docker engine',
};

/**
 * A quarantine stop the engine refused is a `restart_failed` (the contract's one event for a failed
 * action), but its summary says what failed: the stop, not a restart.
 */
export function stopFailedSummary(name: string): string {
  return `stop of ${name} failed`;
}

/**
 * An alert about one container as plain data for alerting (which never sees a watch): identity, last
 * probe, restarts in the window, and its probes' secrets, which its app may have logged.
 */
export function containerAlert(w: ContainerWatch, event: AlertEvent, reason: string, now: number, extra: Partial<AlertInput> = {}): AlertInput {
  const last = w.last.liveness ?? w.last.readiness;
  const role = w.last.liveness ? 'liveness' : 'readiness';
  const kind = w.policy[role]?.spec.kind;
  const secrets = [...probeSecrets(w.policy.liveness), ...probeSecrets(w.policy.readiness)];
  return {
    event,
    summary: SUMMARY[event](w.name),
    reason,
    container: { id: w.id, name: w.name, image: w.info.image, project: w.info.project, service: w.info.service },
    ...(last && kind ? { probe: { role, kind, status: last.status, error: last.error, latencyMs: last.latencyMs } } : {}),
    restartsInWindow: restartsInWindow(w.state.budget, now, w.policy),
    channels: w.policy.alert,
    ...(secrets.length > 0 ? { secrets } : {}),
    ...extra,
  };
}

/** A host-wide alert (breaker, engine connection). */
export function hostAlert(event: AlertEvent, reason: string): AlertInput {
  return { event, summary: SUMMARY[event](''), reason };
}

/**
 * An alert about an orchestrated service slot seen from a manager's task list, where no watch exists:
 * its latest task may run on another node. Named by that task's container, as a node's own alert is.
 */
export function taskAlert(event: AlertEvent, container: NonNullable<AlertInput['container']>, reason: string, extra: Partial<AlertInput> = {}): AlertInput {
  return { event, summary: SUMMARY[event](container.name), reason, container, ...extra };
}
