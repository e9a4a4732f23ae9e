/**
 * The action layer's policy: which engine action a decision becomes for a given container. Plain
 * containers are restarted (or stopped, as quarantine); containers an orchestrator owns (Swarm tasks)
 * are handed back to it instead. The state machine asks here, so no other code asks what kind of
 * container it is.
 */
import type { ActionKind, Pending, Rules } from './machine-types.ts';

/**
 * Which engine action a wanted restart or start becomes, by policy: a task container is handed back to
 * its orchestrator instead (never restarted or started: an API restart leaves an untracked orphan);
 * quarantine stops a container that fails (a namespace child is restarted for its owner's sake).
 * undefined: nothing may be done.
 */
export function actionFor(want: Pending, rules: Rules): ActionKind | undefined {
  if (rules.task) return want.kind === 'start' ? undefined : 'replace';
  return want.kind === 'restart' && rules.action === 'stop' && want.cause !== 'namespace' ? 'stop' : want.kind;
}

/**
 * The rules a Docker HEALTHCHECK verdict is judged under, and the reason to give: a task's HEALTHCHECK is
 * its orchestrator's to act on (it replaces the task itself), so by default healer only reports it.
 */
export function healthRules(rules: Rules): { rules: Rules; reason: string } {
  if (rules.task?.healthcheck !== 'orchestrator') return { rules, reason: 'docker HEALTHCHECK reports unhealthy' };
  return { rules: { ...rules, action: 'notify' }, reason: 'docker HEALTHCHECK reports unhealthy; left to the orchestrator to replace' };
}

/**
 * Whether healer starts a container after a crash: only with `restart.on_exit`, when the engine's own
 * restart policy does not bring it back (none, or an `on-failure:N` that has given up), and never a task
 * (its orchestrator starts a new one; the exited container is task history).
 */
export function startsAfterExit(rules: Pick<Rules, 'restartOnExit' | 'engineRestarts' | 'engineGaveUp' | 'task'>): boolean {
  return rules.restartOnExit && (!rules.engineRestarts || rules.engineGaveUp === true) && !rules.task;
}
