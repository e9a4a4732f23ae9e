/**
 * The state machine's gate for acting: every restart, on-exit start, quarantine stop and task replacement
 * the machine wants passes here, and is allowed, deferred (backoff, a failing dependency, the breaker, an
 * operator's stop under way) or refused (notify only, paused, given up). Pure, as the machine is.
 */
import { maybeReset, notBefore, recordDecided, restartsInWindow, uncountRestart, type Budget } from './budget.ts';
import { actionFor } from './action-policy.ts';
import { crashloopAlert } from './bookkeeping.ts';
import { STOP_SIGNAL_WINDOW_MS } from './stop-window.ts';
import type { Action, Context, MachineState, Pending, Rules, Step } from './machine-types.ts';

/** The one place a restart (or on-exit start, quarantine stop, task replacement) is allowed, deferred or refused. */
export function decide(s: MachineState, decided: Pending, at: number, rules: Rules, ctx: Context): Step {
  // A held restart decided again is held (or deferred) by what holds it now, if anything.
  const { recheckHeld: _held, ...want } = decided;
  if (rules.action === 'notify') return { state: s, actions: [] };
  // A paused container is frozen on purpose (a backup, `docker commit`): nothing is done to it.
  if (s.lifecycle === 'paused') return { state: { ...s, pending: undefined }, actions: [] };
  // An operator's (or orchestrator's) stop is under way: an app draining after SIGTERM fails its probes
  // on purpose; the exit that follows is that stop's.
  // Held, not dropped: a stop signal the container survives ends no stop, and a HEALTHCHECK verdict is not
  // sent again; once the window is over the decision is taken up again (an exit meanwhile clears it). The
  // window lasts the container's own stop grace when that is longer (a database's --stop-timeout 90);
  // one with no end is looked at again every STOP_SIGNAL_WINDOW_MS, and held again.
  if (ctx.stopping && want.kind !== 'start') {
    const until = ctx.stopUntil !== undefined && Number.isFinite(ctx.stopUntil) && ctx.stopUntil > at ? ctx.stopUntil + 1 : at + STOP_SIGNAL_WINDOW_MS;
    return { state: { ...s, pending: want, heldBy: undefined }, actions: [{ type: 'wake', at: until, reason: want.reason, purpose: 'backoff' }] };
  }
  const kind = actionFor(want, rules);
  if (kind === undefined) return { state: { ...s, pending: undefined }, actions: [] };
  if (kind === 'stop') {
    // Woken early (the wall clock was stepped back meanwhile): asks again, so the retry is never left unasked.
    if (want.notBefore !== undefined && at < want.notBefore) return { state: { ...s, pending: want }, actions: [{ type: 'wake', at: want.notBefore, reason: want.reason, purpose: 'backoff' }] };
    if (rules.dryRun) return { state: s, actions: [{ type: 'withheld', would: 'stop', why: 'dry-run', reason: want.reason, cause: want.cause }] };
    return { state: s, actions: [{ type: 'stop', reason: want.reason, cause: want.cause }] };
  }
  const budget = maybeReset(s.budget, at, rules).budget;
  if (budget.loop === 'gave_up') return { state: { ...s, budget, pending: undefined }, actions: [] };
  if (ctx.heldBy !== undefined) {
    const actions: Action[] = s.heldBy === ctx.heldBy ? [] : [{ type: 'notify', event: 'held', reason: `dependency ${ctx.heldBy} is failing; not restarting until it recovers` }];
    return { state: { ...s, budget, pending: want, heldBy: ctx.heldBy }, actions };
  }
  if (ctx.paused) return { state: { ...s, budget, pending: want, heldBy: undefined }, actions: [] };
  const due = notBefore(budget, rules);
  if (!want.completes && due !== undefined && at < due) {
    return { state: { ...s, budget, pending: want, heldBy: undefined }, actions: [{ type: 'wake', at: due, reason: want.reason, purpose: 'backoff' }] };
  }
  const count = restartsInWindow(budget, at, rules) + 1;
  if (!want.completes && count > rules.crashloop.restarts && rules.crashloop.action === 'giveup') {
    const gaveUp: Budget = { ...budget, loop: 'gave_up' };
    return { state: { ...s, budget: gaveUp, pending: undefined, heldBy: undefined }, actions: [crashloopAlert(gaveUp, at, rules, 'failing again; giving up: healer will not restart it again')] };
  }
  if (rules.dryRun) return { state: { ...s, budget, pending: undefined, heldBy: undefined }, actions: [{ type: 'withheld', would: kind, why: 'dry-run', reason: want.reason, cause: want.cause }] };
  // Counted now (the window, the backoff); the crash loop it makes opens, and is alerted, once it is made.
  const actions: Action[] = [{ type: kind, reason: want.reason, cause: want.cause }];
  return {
    state: {
      ...s,
      budget: want.completes ? budget : recordDecided(budget, at, rules),
      counted: want.completes ? undefined : { at, before: budget },
      pending: undefined,
      heldBy: undefined,
      inFlight: true,
      lifecycle: kind === 'restart' || kind === 'replace' ? 'restarting' : s.lifecycle,
    },
    actions,
  };
}

/**
 * An action decided earlier that waited for an engine slot and was not sent when its turn came (the
 * breaker opened meanwhile): its decision is undone (the restart it recorded, the in-flight mark) and
 * taken again now, so it waits exactly as one decided now would, and goes out when the breaker closes.
 */
export function requeue(s: MachineState, want: Pending, at: number, rules: Rules, ctx: Context): Step {
  if (!s.inFlight) return { state: s, actions: [] };
  const budget: Budget = s.counted ? uncountRestart(s.budget, s.counted.at, s.counted.before) : s.budget;
  const lifecycle = s.lifecycle === 'restarting' ? 'running' : s.lifecycle;
  // A start in flight that was never counted completes a restart counted before healer was killed: so it stays.
  const again: Pending = !s.counted && want.kind === 'start' ? { ...want, completes: true } : want;
  return decide({ ...s, inFlight: false, counted: undefined, lifecycle, budget }, again, at, rules, ctx);
}
