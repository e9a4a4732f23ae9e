/**
 * The state machine's probe and health inputs (state-machine.ts routes them here): a run of results on a
 * track, and the verdict when it crosses its threshold. Pure, as the rest of the machine.
 */
import { healthy, maybeReset, unhealthy } from './budget.ts';
import { decide } from './decide.ts';
import type { Action, Context, MachineState, Role, Rules, Step, Track } from './machine-types.ts';

const NO_ACTIONS: readonly Action[] = [];

/** One probe result: counted on its track; a run that reaches its threshold is a verdict. */
export function onProbe(s: MachineState, role: Role, ok: boolean, at: number, rules: Rules, ctx: Context): Step {
  const r = rules[role];
  // A result for a container that is not running (or mid-restart, or paused) is stale: it says nothing now.
  if (!r || s.lifecycle !== 'running' || s.inFlight) return { state: s, actions: [] };
  const t = s[role];
  if (ok) {
    const successes = t.successes + 1;
    if (t.up !== true && successes >= r.successes) return onVerdict(s, role, true, at, rules, ctx, '');
    // Healthy since the first pass after any restart, whoever made it: the budget resets after `reset` of it.
    const budget = role === 'liveness' && t.up === true ? maybeReset(healthy(s.budget, at), at, rules).budget : s.budget;
    // The common case, a healthy container passing again, changes nothing: no new state (healer runs
    // thousands of these a second, and every allocation that lives until the next probe costs memory).
    if (t.up === true && t.failures === 0 && t.successes >= r.successes && budget === s.budget) return { state: s, actions: NO_ACTIONS };
    const kept: Track = { ...t, failures: 0, successes: Math.min(successes, r.successes), failingSince: t.up === false ? t.failingSince : undefined };
    return { state: { ...s, [role]: kept, budget }, actions: [] };
  }
  if (at - s.startedAt < r.startPeriodMs) return { state: s, actions: [] };
  const failures = t.failures + 1;
  const next = { ...s, [role]: { ...t, failures, successes: 0, failingSince: t.failingSince ?? at } };
  if (failures === r.failures) return onVerdict(next, role, false, at, rules, ctx, `${failures} failed ${role} probes in a row`);
  // A deferred restart is taken again on each fresh failure: the container is still broken now.
  if (role === 'liveness' && next.pending && t.up === false) return decide({ ...next, pending: undefined }, next.pending, at, rules, ctx);
  return { state: next, actions: [] };
}

/** A track crosses its threshold: up (recovered/ready) or down (unhealthy/not ready, and act). */
export function onVerdict(s: MachineState, role: Role, up: boolean, at: number, rules: Rules, ctx: Context, reason: string): Step {
  const t = s[role];
  if (up) {
    const actions: Action[] = [];
    if (role === 'liveness' && t.up === false) {
      actions.push({ type: 'notify', event: 'recovered', reason: 'probes pass again', recoveryMs: at - (t.failingSince ?? at) });
    }
    if (role === 'readiness' && t.up === false) actions.push({ type: 'notify', event: 'ready', reason: 'readiness probes pass' });
    const track: Track = { failures: 0, successes: t.successes + 1, up: true, failingSince: undefined };
    if (role === 'readiness') return { state: { ...s, readiness: track }, actions };
    return { state: { ...s, liveness: track, pending: undefined, heldBy: undefined, budget: healthy(s.budget, at) }, actions };
  }
  if (s.lifecycle !== 'running' || s.inFlight) return { state: s, actions: [] };
  const down: Track = { ...t, up: false, failingSince: t.failingSince ?? at };
  const actions: Action[] = [];
  if (role === 'readiness') {
    if (t.up !== false) actions.push({ type: 'notify', event: 'not_ready', reason });
    return { state: { ...s, readiness: down }, actions };
  }
  if (t.up !== false) actions.push({ type: 'notify', event: 'unhealthy', reason });
  const next: MachineState = { ...s, liveness: down, budget: unhealthy(s.budget) };
  if (rules.action === 'notify') return { state: next, actions };
  const out = decide(next, { kind: 'restart', reason, cause: 'liveness' }, at, rules, ctx);
  return { state: out.state, actions: [...actions, ...out.actions] };
}
