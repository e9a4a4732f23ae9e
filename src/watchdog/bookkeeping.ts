/**
 * What the state machine owes beyond each decision (kept apart so state-machine.ts stays about the
 * decisions): open alerts of containers without a liveness probe, the budget-reset wake, and when a
 * crash loop opens and how its alert reads.
 */
import { loopIfMade, recordRestarts, restartsInWindow, type Budget } from './budget.ts';
import type { Action, MachineState, Rules, Step, Track } from './machine-types.ts';

/**
 * What every step owes beyond its own decision: an alert only `recovered` ends is remembered for
 * containers with no liveness probe (and ended when the budget is clean again), and once a container is
 * healthy after restarts, a wake is asked for when its budget is due to reset, so backoff and the
 * crash-loop state clear on time even when nothing else happens. `at`: the input's time.
 */
export function bookkeeping(before: MachineState, out: Step, rules: Rules, at: number): Step {
  let { state } = out;
  let actions = out.actions;
  // When the loop was alerted, for as long as it stays open (a loop kept across healer's restart fires since then).
  if (actions.some((a) => a.type === 'notify' && a.event === 'crashloop')) state = { ...state, loopSince: at };
  else if (state.loopSince !== undefined && state.budget.loop === 'closed') state = { ...state, loopSince: undefined };
  // When an open held or restart_failed was first alerted; a recovered ends both (kept across healer's restart).
  const told = (e: string): boolean => actions.some((a) => a.type === 'notify' && a.event === e);
  if (told('held') && state.heldSince === undefined) state = { ...state, heldSince: at };
  if (told('restart_failed') && state.failedSince === undefined) state = { ...state, failedSince: at };
  // A start healer owed is settled once the container is no longer down (started, or stopped by someone).
  if (state.owedStart && state.lifecycle !== 'exited') state = { ...state, owedStart: undefined };
  // With a liveness probe judged down its `recovered` ends them; otherwise (no probe, or one passing when the
  // container crashed) the next run that passes by its own rule, once the loop is over, is owed one.
  const ending = (e: string): boolean => e === 'restart_failed' || e === 'crashloop' || e === 'held';
  if (actions.some((a) => a.type === 'notify' && ending(a.event)) && state.liveness.up !== false) state = { ...state, unresolved: true };
  else if (state.unresolved && actions.some((a) => a.type === 'notify' && a.event === 'recovered')) state = { ...state, unresolved: false };
  else if (state.unresolved && state.lifecycle === 'running' && !state.inFlight && state.budget.loop === 'closed' && !state.pending && passes(state, rules)) {
    state = { ...state, unresolved: false };
    actions = [...actions, { type: 'notify', event: 'recovered', reason: rules.liveness ? 'running and passing again after healer started it' : 'running again after healer started it' }];
  }
  if ((state.heldSince !== undefined || state.failedSince !== undefined) && actions.some((a) => a.type === 'notify' && a.event === 'recovered')) {
    state = { ...state, heldSince: undefined, failedSince: undefined };
  }
  const wake = state.budget.healthySince !== before.budget.healthySince ? resetWake(state, rules) : undefined;
  if (wake) actions = [...actions, wake];
  return { state, actions };
}

/**
 * Whether a running container passes: with no liveness probe running is all it can say; with one, its
 * track is up and a result since it started passed (a start forgets the run of results, a kept track is unjudged).
 */
function passes(s: MachineState, rules: Rules): boolean {
  return !rules.liveness || (s.liveness.up === true && s.liveness.successes > 0);
}

/**
 * The wake that resets the budget of a container healthy after restarts (a loop still open, a backoff
 * level); also asked for by a watch made from the state file, where no step changed `healthySince`.
 */
export function resetWake(state: MachineState, rules: Rules): Action | undefined {
  const b = state.budget;
  if (b.healthySince === undefined || (b.level === 0 && b.loop === 'closed') || state.pending) return undefined;
  return { type: 'wake', at: b.healthySince + rules.backoff.resetMs, reason: 'healthy since a restart', purpose: 'reset' };
}

/** The `crashloop` notification: restarts in the window, the limit, and what healer does next. */
export function crashloopAlert(b: Budget, at: number, rules: Rules, then: string): Action {
  const n = restartsInWindow(b, at, rules);
  const window = `${Math.round(rules.crashloop.windowMs / 1000)}s`;
  return { type: 'notify', event: 'crashloop', reason: `${n} restarts within ${window} (limit ${rules.crashloop.restarts}); ${then}` };
}

/**
 * healer's restart, counted when it was decided, was carried out: the crash loop it makes opens now, and
 * is alerted (a restart taken back before it reached the engine never opened one).
 */
export function loopOnMade(s: MachineState, rules: Rules): { budget: Budget; actions: Action[] } {
  if (!s.counted) return { budget: s.budget, actions: [] };
  const made = loopIfMade(s.budget, s.counted.at, rules);
  return { budget: made.budget, actions: made.opened ? [crashloopAlert(made.budget, s.counted.at, rules, 'retrying at the maximum backoff')] : [] };
}

/** Restarts the engine made (its restart policy, or RestartCount growth healer missed): counted, and a loop they make alerted. */
export function countEngineRestarts(s: MachineState, count: number, at: number, rules: Rules): Step {
  const recorded = recordRestarts(s.budget, at, rules, count);
  // A restart of healer's decided but not made yet is no restart yet: a loop it would make opens if it is made.
  const notYet = s.counted && at - s.counted.at < rules.crashloop.windowMs ? 1 : 0;
  const opened = recorded.opened && restartsInWindow(recorded.budget, at, rules) - notYet > rules.crashloop.restarts;
  const budget = recorded.opened && !opened ? { ...recorded.budget, loop: s.budget.loop } : recorded.budget;
  const actions: Action[] = opened ? [crashloopAlert(budget, at, rules, 'the engine keeps restarting it')] : [];
  return { state: { ...s, budget }, actions };
}

/**
 * Someone else stopped the container, which ended its open alerts (event-router.ts): what those alerts
 * stood for is forgotten, so that once started again it is judged afresh. Failing again fires `unhealthy`
 * (a crash loop still in its window, `crashloop`) anew instead of staying silent under an ended alert;
 * passing is no recovery of a condition already ended. Restarts in the window and the backoff stay.
 */
export function endedByStop(s: MachineState): MachineState {
  const unjudged = (t: Track): Track => ({ ...t, failures: 0, successes: 0, up: undefined, failingSince: undefined });
  const budget = s.budget.loop === 'open' ? { ...s.budget, loop: 'closed' as const } : s.budget;
  return { ...s, liveness: unjudged(s.liveness), readiness: unjudged(s.readiness), unresolved: false, heldSince: undefined, failedSince: undefined, budget };
}
