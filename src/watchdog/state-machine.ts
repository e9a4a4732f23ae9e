/**
 * The per-container decisions, as a pure function: (state, input, rules, context) → (state, actions).
 * No I/O, no timers, no clock of its own: time arrives in each input, so tests feed sequences. When an
 * action must wait (backoff, a failing dependency, the mass-failure breaker) it becomes `pending` and the
 * machine asks for a `wake`; the loop feeds a `tick` then, and the decision is taken again.
 */
import {
  EMPTY_BUDGET,
  healthy,
  maybeReset,
  notBefore,
  recordRestarts,
  restartsInWindow,
  unhealthy,
  type Budget,
  type BudgetRules,
} from './budget.ts';

export type Lifecycle = 'running' | 'restarting' | 'stopped' | 'exited';
export type Role = 'liveness' | 'readiness';

/** One probe's judgement: `up` flips only after `failures` failures or `successes` successes in a row. */
export interface Track {
  readonly failures: number;
  readonly successes: number;
  /** undefined until the first judgement. */
  readonly up: boolean | undefined;
  /** First failed probe of the current failure episode: the start of "time to recovery". */
  readonly failingSince: number | undefined;
}

export interface Exit {
  readonly at: number;
  readonly exitCode: number;
  readonly oom: boolean;
}

/** An action that is decided but waits: for backoff, a dependency, or the breaker. */
export interface Pending {
  readonly kind: 'restart' | 'start';
  readonly reason: string;
  readonly cause: Cause;
}

/** Why healer acts, as a bounded value for metrics: a failing liveness check, a crash, a namespace owner's restart. */
export type Cause = 'liveness' | 'exit' | 'namespace';

export interface MachineState {
  readonly lifecycle: Lifecycle;
  readonly startedAt: number;
  readonly liveness: Track;
  readonly readiness: Track;
  /** healer's own restart or start of this container is under way. */
  readonly inFlight: boolean;
  readonly budget: Budget;
  readonly pending: Pending | undefined;
  readonly heldBy: string | undefined;
  /** The last crash (not an operator's stop). */
  readonly lastExit: Exit | undefined;
}

export interface TrackRules {
  readonly failures: number;
  readonly successes: number;
  readonly startPeriodMs: number;
}

export interface Rules extends BudgetRules {
  readonly liveness: TrackRules | undefined;
  readonly readiness: TrackRules | undefined;
  readonly action: 'restart' | 'stop' | 'notify';
  readonly dryRun: boolean;
  readonly restartOnExit: boolean;
  /** The engine's own restart policy brings this container back after an exit; healer only counts. */
  readonly engineRestarts: boolean;
}

/** What the rest of the host says at the moment of a decision. */
export interface Context {
  /** A dependency that is failing now. */
  readonly heldBy: string | undefined;
  /** The mass-failure breaker is open. */
  readonly paused: boolean;
}

export type Input =
  | { readonly type: 'probe'; readonly role: Role; readonly ok: boolean; readonly at: number }
  /** Docker's own HEALTHCHECK verdict, from a health_status event or inspect. */
  | { readonly type: 'health'; readonly status: 'healthy' | 'unhealthy' | 'starting'; readonly at: number }
  | { readonly type: 'started'; readonly at: number }
  /** The container went down: an operator's stop, or an exit (crash or clean). */
  | { readonly type: 'stopped'; readonly by: 'operator'; readonly at: number }
  | { readonly type: 'stopped'; readonly by: 'exit'; readonly exitCode: number; readonly oom: boolean; readonly at: number }
  | { readonly type: 'restart_done'; readonly ok: boolean; readonly error?: string; readonly at: number }
  /** Time passed, or the context changed: take pending decisions again. */
  | { readonly type: 'tick'; readonly at: number }
  /** Restarts the engine did while healer could not see events (RestartCount grew). */
  | { readonly type: 'engine_restarts'; readonly count: number; readonly at: number }
  /** The container whose network namespace this one shares was restarted. */
  | { readonly type: 'restart_requested'; readonly reason: string; readonly at: number };

export type NotifyEvent = 'unhealthy' | 'recovered' | 'not_ready' | 'ready' | 'restart_failed' | 'died' | 'crashloop' | 'held';

export type Action =
  | { readonly type: 'restart' | 'start' | 'stop'; readonly reason: string; readonly cause: Cause }
  /** An action the rules chose not to take (dry-run); logged and alerted, never done. */
  | { readonly type: 'withheld'; readonly would: 'restart' | 'start' | 'stop'; readonly why: 'dry-run'; readonly reason: string; readonly cause: Cause }
  /** Backoff: ask to be woken at `at`. */
  | { readonly type: 'wake'; readonly at: number; readonly reason: string }
  | { readonly type: 'notify'; readonly event: NotifyEvent; readonly reason: string; readonly recoveryMs?: number; readonly exitCode?: number; readonly oom?: boolean };

export interface Step {
  readonly state: MachineState;
  readonly actions: readonly Action[];
}

const FRESH: Track = { failures: 0, successes: 0, up: undefined, failingSince: undefined };
const NO_CONTEXT: Context = { heldBy: undefined, paused: false };
const NO_ACTIONS: readonly Action[] = [];

export function initialState(opts: { running: boolean; startedAt: number; budget?: Budget; lastExit?: Exit | undefined }): MachineState {
  return {
    lifecycle: opts.running ? 'running' : 'exited',
    startedAt: opts.startedAt,
    liveness: FRESH,
    readiness: FRESH,
    inFlight: false,
    budget: opts.budget ?? EMPTY_BUDGET,
    pending: undefined,
    heldBy: undefined,
    lastExit: opts.lastExit,
  };
}

export function step(s: MachineState, input: Input, rules: Rules, ctx: Context = NO_CONTEXT): Step {
  const at = input.at;
  switch (input.type) {
    case 'probe':
      return onProbe(s, input.role, input.ok, at, rules, ctx);
    case 'health':
      if (input.status === 'starting') return { state: s, actions: [] };
      return onVerdict(s, 'liveness', input.status === 'healthy', at, rules, ctx, 'docker HEALTHCHECK reports unhealthy');
    case 'started':
      return onStarted(s, at, rules);
    case 'stopped':
      if (s.inFlight) return { state: s, actions: [] };
      if (input.by === 'operator') {
        return { state: { ...s, lifecycle: 'stopped', pending: undefined, heldBy: undefined, budget: unhealthy(s.budget) }, actions: [] };
      }
      return onExit(s, { at, exitCode: input.exitCode, oom: input.oom }, rules, ctx);
    case 'restart_done': {
      const base: MachineState = { ...s, inFlight: false, liveness: { ...s.liveness, failures: 0, successes: 0 } };
      if (input.ok) return { state: { ...base, lifecycle: 'running', startedAt: at }, actions: [] };
      const lifecycle = s.lifecycle === 'restarting' ? 'running' : s.lifecycle;
      return { state: { ...base, lifecycle }, actions: [{ type: 'notify', event: 'restart_failed', reason: input.error ?? 'the engine failed the restart' }] };
    }
    case 'tick': {
      const { budget } = maybeReset(s.budget, at, rules);
      const next = { ...s, budget };
      return next.pending ? decide({ ...next, pending: undefined }, next.pending, at, rules, ctx) : { state: next, actions: [] };
    }
    case 'engine_restarts':
      return countEngineRestarts(s, input.count, at, rules);
    case 'restart_requested':
      if (s.lifecycle !== 'running' || s.inFlight) return { state: s, actions: [] };
      return decide(s, { kind: 'restart', reason: input.reason, cause: 'namespace' }, at, rules, ctx);
  }
}

function onStarted(s: MachineState, at: number, rules: Rules): Step {
  const fresh: MachineState = {
    ...s,
    lifecycle: 'running',
    startedAt: at,
    liveness: { ...s.liveness, failures: 0, successes: 0 },
    readiness: { ...s.readiness, failures: 0, successes: 0 },
    pending: undefined,
    lastExit: undefined,
  };
  // With no liveness probe, running is all "healthy" can mean.
  const withHealth = rules.liveness ? fresh : { ...fresh, budget: healthy(fresh.budget, at) };
  if (s.inFlight) return { state: { ...withHealth, lifecycle: s.lifecycle === 'exited' ? 'running' : withHealth.lifecycle }, actions: [] };
  if (s.lifecycle === 'exited') return countEngineRestarts(withHealth, 1, at, rules); // the engine's restart policy
  if (s.lifecycle === 'stopped' && s.budget.loop === 'gave_up') {
    return { state: { ...withHealth, budget: { ...withHealth.budget, loop: 'open' } }, actions: [] }; // an operator takes over
  }
  return { state: withHealth, actions: [] };
}

function countEngineRestarts(s: MachineState, count: number, at: number, rules: Rules): Step {
  const { budget, opened } = recordRestarts(s.budget, at, rules, count);
  const actions: Action[] = opened ? [crashloopAlert(budget, at, rules, 'the engine keeps restarting it')] : [];
  return { state: { ...s, budget }, actions };
}

function onExit(s: MachineState, exit: Exit, rules: Rules, ctx: Context): Step {
  const crashed = exit.exitCode !== 0 || exit.oom;
  const next: MachineState = { ...s, lifecycle: 'exited', lastExit: exit, pending: undefined, budget: unhealthy(s.budget) };
  const died: Action = {
    type: 'notify',
    event: 'died',
    reason: exit.oom ? 'killed by the kernel (out of memory)' : `exited with code ${exit.exitCode}`,
    exitCode: exit.exitCode,
    oom: exit.oom,
  };
  if (!crashed || !rules.restartOnExit || rules.engineRestarts) return { state: next, actions: [died] };
  const out = decide(next, { kind: 'start', reason: died.reason, cause: 'exit' }, exit.at, rules, ctx);
  return { state: out.state, actions: [died, ...out.actions] };
}

/** healer restarted while the container was down after a crash it saw: take the on-exit decision again. */
export function resumeExited(s: MachineState, at: number, rules: Rules, ctx: Context = NO_CONTEXT): Step {
  if (s.lifecycle !== 'exited' || !s.lastExit || !rules.restartOnExit || rules.engineRestarts) return { state: s, actions: [] };
  if (s.lastExit.exitCode === 0 && !s.lastExit.oom) return { state: s, actions: [] };
  return decide(s, { kind: 'start', reason: `exited with code ${s.lastExit.exitCode}`, cause: 'exit' }, at, rules, ctx);
}

function onProbe(s: MachineState, role: Role, ok: boolean, at: number, rules: Rules, ctx: Context): Step {
  const r = rules[role];
  // A result for a container that is not running (or mid-restart) is stale: it says nothing now.
  if (!r || s.lifecycle !== 'running' || s.inFlight) return { state: s, actions: [] };
  const t = s[role];
  if (ok) {
    const successes = t.successes + 1;
    if (t.up !== true && successes >= r.successes) return onVerdict(s, role, true, at, rules, ctx, '');
    const budget = role === 'liveness' && t.up === true ? maybeReset(s.budget, at, rules).budget : s.budget;
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
function onVerdict(s: MachineState, role: Role, up: boolean, at: number, rules: Rules, ctx: Context, reason: string): Step {
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

/** The one place a restart (or on-exit start, or quarantine stop) is allowed, deferred or refused. */
function decide(s: MachineState, want: Pending, at: number, rules: Rules, ctx: Context): Step {
  if (rules.action === 'notify') return { state: s, actions: [] };
  const kind = want.kind === 'restart' && rules.action === 'stop' ? 'stop' : want.kind;
  if (kind === 'stop') {
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
  if (due !== undefined && at < due) {
    return { state: { ...s, budget, pending: want, heldBy: undefined }, actions: [{ type: 'wake', at: due, reason: want.reason }] };
  }
  const count = restartsInWindow(budget, at, rules) + 1;
  if (count > rules.crashloop.restarts && rules.crashloop.action === 'giveup') {
    const gaveUp: Budget = { ...budget, loop: 'gave_up' };
    return { state: { ...s, budget: gaveUp, pending: undefined, heldBy: undefined }, actions: [crashloopAlert(gaveUp, at, rules, 'failing again; giving up: healer will not restart it again')] };
  }
  if (rules.dryRun) return { state: { ...s, budget, pending: undefined, heldBy: undefined }, actions: [{ type: 'withheld', would: kind, why: 'dry-run', reason: want.reason, cause: want.cause }] };
  const recorded = recordRestarts(budget, at, rules);
  const actions: Action[] = [{ type: kind, reason: want.reason, cause: want.cause }];
  if (recorded.opened) actions.unshift(crashloopAlert(recorded.budget, at, rules, 'retrying at the maximum backoff'));
  return {
    state: { ...s, budget: recorded.budget, pending: undefined, heldBy: undefined, inFlight: true, lifecycle: kind === 'restart' ? 'restarting' : s.lifecycle },
    actions,
  };
}

function crashloopAlert(b: Budget, at: number, rules: Rules, then: string): Action {
  const n = restartsInWindow(b, at, rules);
  const window = `${Math.round(rules.crashloop.windowMs / 1000)}s`;
  return { type: 'notify', event: 'crashloop', reason: `${n} restarts within ${window} (limit ${rules.crashloop.restarts}); ${then}` };
}
