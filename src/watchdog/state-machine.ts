/**
 * The per-container decisions, as a pure function: (state, input, rules, context) → (state, actions).
 * No I/O, no timers, no clock of its own: time arrives in each input, so tests feed sequences. When an
 * action must wait (backoff, a failing dependency, the mass-failure breaker, a retry) it becomes
 * `pending` and the machine asks for a `wake`; the loop feeds a `tick` then, and the decision is taken
 * again. The vocabulary lives in machine-types.ts.
 */
import { EMPTY_BUDGET, healthy, maybeReset, notBefore, uncountRestart, unhealthy, type Budget } from './budget.ts';
import { healthRules, startsAfterExit } from './action-policy.ts';
import { bookkeeping, countEngineRestarts, endedByStop, loopOnMade } from './bookkeeping.ts';
import { clampFuture } from './clock-step.ts';
import { decide, requeue } from './decide.ts';
import { onProbe, onVerdict } from './probe-input.ts';
import type { Action, Context, Exit, Input, MachineState, Pending, Rules, Step, Track } from './machine-types.ts';

export type * from './machine-types.ts';

const FRESH: Track = { failures: 0, successes: 0, up: undefined, failingSince: undefined };
const NO_CONTEXT: Context = { heldBy: undefined, paused: false };

export function initialState(opts: { running: boolean; paused?: boolean; startedAt: number; budget?: Budget; lastExit?: Exit | undefined; owedStart?: Pending | undefined }): MachineState {
  return {
    lifecycle: opts.paused ? 'paused' : opts.running ? 'running' : 'exited',
    startedAt: opts.startedAt,
    liveness: FRESH,
    readiness: FRESH,
    inFlight: false,
    counted: undefined,
    budget: opts.budget ?? EMPTY_BUDGET,
    pending: undefined,
    heldBy: undefined,
    lastExit: opts.lastExit,
    owedStart: opts.owedStart,
    unresolved: false,
  };
}

export function step(s: MachineState, input: Input, rules: Rules, ctx: Context = NO_CONTEXT): Step {
  const out = decideInput(clampFuture(s, input.at, rules.backoff.maxMs), input, rules, ctx);
  return out.state === s ? out : bookkeeping(s, out, rules, input.at);
}

function decideInput(s: MachineState, input: Input, rules: Rules, ctx: Context): Step {
  const at = input.at;
  switch (input.type) {
    case 'probe':
      return onProbe(s, input.role, input.ok, at, rules, ctx);
    case 'health': {
      if (input.status === 'starting') return { state: s, actions: [] };
      const h = healthRules(rules);
      return onVerdict(s, 'liveness', input.status === 'healthy', at, h.rules, ctx, h.reason);
    }
    case 'started':
      return onStarted(s, at, rules, input.counted === true);
    case 'stopped':
      // While an action is under way its own events are not inputs; an operator's stop is kept, so a
      // start not yet sent is dropped (the actor looks) and the container stays stopped after it.
      if (s.inFlight) return { state: input.by === 'operator' && s.lifecycle === 'exited' ? { ...s, lifecycle: 'stopped' } : s, actions: [] };
      if (input.by === 'operator') {
        const stopped: MachineState = { ...s, lifecycle: 'stopped', pending: undefined, heldBy: undefined, budget: unhealthy(s.budget) };
        return { state: input.ended ? endedByStop(stopped) : stopped, actions: [] };
      }
      return onExit(s, { at, exitCode: input.exitCode, oom: input.oom }, rules, ctx, input.unconfirmed === true);
    case 'restart_done':
      return onActionDone(s, input, rules);
    case 'stop_failed':
      return onStopFailed(s, input, rules);
    case 'orphaned':
      return onOrphaned(s, at, rules, ctx, input.reason);
    case 'replaced': {
      // Handed back: the orchestrator starts a new container; this one is history and never started again.
      const { budget, actions } = loopOnMade(s, rules);
      return { state: { ...s, budget, counted: undefined, inFlight: false, lifecycle: 'stopped', pending: undefined, heldBy: undefined, liveness: settled(s.liveness) }, actions };
    }
    case 'tick': {
      const { budget } = maybeReset(s.budget, at, rules);
      const next = { ...s, budget };
      // A restart held because its liveness could not be checked again waits for a real probe result
      // (probe-input.ts): a wake-up (a reset or backoff timer left from before) is no result, and the
      // actor would send it on the old failures (a free slot runs no re-check).
      if (next.pending?.recheckHeld) return { state: next, actions: [] };
      return next.pending ? decide({ ...next, pending: undefined }, next.pending, at, rules, ctx) : { state: next, actions: [] };
    }
    case 'requeued':
      return requeue(s, input.want, at, rules, ctx);
    case 'engine_restarts':
      return countEngineRestarts(s, input.count, at, rules);
    case 'restart_requested':
      if (s.lifecycle !== 'running' || s.inFlight) return { state: s, actions: [] };
      return decide(s, { kind: 'restart', reason: input.reason, cause: 'namespace' }, at, rules, ctx);
    case 'rerouted':
      if (s.inFlight || (s.lifecycle !== 'running' && s.lifecycle !== 'paused')) return { state: s, actions: [] };
      return { state: { ...s, liveness: settled(s.liveness), readiness: settled(s.readiness), pending: s.pending?.cause === 'liveness' ? undefined : s.pending }, actions: [] };
    case 'paused':
      // (While healer's own restart or start is answered, the pause is of the new run: kept.)
      if (s.lifecycle !== 'running' && s.lifecycle !== 'restarting' && !s.inFlight) return { state: s, actions: [] };
      return { state: { ...s, lifecycle: 'paused', pending: undefined, heldBy: undefined, liveness: settled(s.liveness), readiness: settled(s.readiness) }, actions: [] };
    case 'unpaused':
      if (s.lifecycle !== 'paused') return { state: s, actions: [] };
      return { state: { ...s, lifecycle: 'running', liveness: settled(s.liveness), readiness: settled(s.readiness) }, actions: [] };
  }
}

/** A track whose run of results is forgotten (a pause, a start): the next results judge afresh. */
const settled = (t: Track): Track => (t.failures === 0 && t.successes === 0 ? t : { ...t, failures: 0, successes: 0 });

function onActionDone(s: MachineState, input: Extract<Input, { type: 'restart_done' }>, rules: Rules): Step {
  const at = input.at;
  const base: MachineState = { ...s, inFlight: false, counted: undefined, liveness: { ...s.liveness, failures: 0, successes: 0 } };
  if (input.skipped || input.gone) {
    // Never sent: not a restart (crash-loop window, backoff level); the actor then feeds what it found.
    const budget = s.counted ? uncountRestart(s.budget, s.counted.at, s.counted.before) : s.budget;
    // Removed under healer's action: the end of its watch, not a failure (nothing alerted, retried or owed).
    if (input.gone) return { state: { ...base, budget, owedStart: undefined, pending: undefined, lifecycle: s.lifecycle === 'restarting' ? 'exited' : s.lifecycle }, actions: [] };
    // Held (its liveness could not be checked again): decided still, for the next failing probe to send.
    return { state: { ...base, budget, lifecycle: s.lifecycle === 'restarting' ? 'running' : s.lifecycle, pending: input.held ?? base.pending }, actions: [] };
  }
  if (input.ok) {
    // Made: the crash loop it makes opens now (not when it was decided: a restart taken back is none).
    const { budget, actions } = loopOnMade(s, rules);
    // The new run paused before the engine answered stays paused.
    const started: MachineState = { ...base, budget, lifecycle: s.lifecycle === 'paused' ? 'paused' : 'running', startedAt: at };
    return { state: rules.liveness ? started : { ...started, budget: healthy(started.budget, at) }, actions };
  }
  // A restart that failed after its stop ran leaves the container down: a start is retried then.
  const lifecycle = s.lifecycle === 'restarting' ? (input.retry?.kind === 'start' ? 'exited' : 'running') : s.lifecycle;
  const failed: Action = { type: 'notify', event: 'restart_failed', reason: input.error ?? 'the engine failed the restart' };
  // The container never ran again: the attempt backs off (level stays) but is no restart towards a crash
  // loop, so a few refused starts (a port taken for a moment) do not give a container up.
  // A start retried because healer's own restart took the container down is owed (kept until it runs).
  const owedStart = input.retry?.kind === 'start' && (s.lifecycle === 'restarting' || s.owedStart) ? { kind: 'start' as const, reason: input.retry.reason, cause: input.retry.cause } : s.owedStart;
  const refused: MachineState = { ...base, lifecycle, owedStart, budget: { ...s.budget, restarts: s.budget.restarts.slice(0, -1) } };
  if (!input.retry || rules.action === 'notify') return { state: refused, actions: [failed] };
  // Nothing else may ever ask again (Docker health events come only on a change): retry after the backoff.
  const due = Math.max(notBefore(s.budget, rules) ?? at, at + rules.backoff.initialMs);
  return { state: { ...refused, pending: input.retry }, actions: [failed, { type: 'wake', at: due, reason: input.retry.reason, purpose: 'backoff' }] };
}

/** A quarantine stop the engine refused: said, and tried again after its backoff (nothing else would ask again). */
function onStopFailed(s: MachineState, input: Extract<Input, { type: 'stop_failed' }>, rules: Rules): Step {
  const failed: Action[] = input.draining ? [] : [{ type: 'notify', event: 'restart_failed', failed: 'stop', reason: `the engine refused to stop it: ${input.error}` }];
  if (s.lifecycle !== 'running' || rules.action !== 'stop') return { state: s, actions: failed };
  // Backs off as a refused restart does: initial, doubling, at most max.
  const due = input.at + Math.min(rules.backoff.maxMs, rules.backoff.initialMs * 2 ** Math.min(30, input.attempt - 1));
  return { state: { ...s, pending: { ...input.retry, notBefore: due } }, actions: [...failed, { type: 'wake', at: due, reason: input.retry.reason, purpose: 'backoff' }] };
}

function onStarted(s: MachineState, at: number, rules: Rules, counted: boolean): Step {
  const fresh: MachineState = {
    ...s,
    lifecycle: 'running',
    startedAt: at,
    liveness: settled(s.liveness),
    readiness: settled(s.readiness),
    pending: undefined,
    // The hold was of the decision the start ends: holding the next one is a new hold, alerted anew.
    heldBy: undefined,
    // The last exit stays known (status, the page): what acts on it looks at `lifecycle: exited` first.
  };
  // With no liveness probe, running is all "healthy" can mean.
  const withHealth = rules.liveness ? fresh : { ...fresh, budget: healthy(fresh.budget, at) };
  if (s.inFlight) return { state: { ...withHealth, lifecycle: s.lifecycle === 'exited' ? 'running' : withHealth.lifecycle }, actions: [] };
  // Back from an exit without healer: the engine's restart policy (counted), or an operator's start.
  if (s.lifecycle === 'exited' && rules.engineRestarts) {
    if (counted) return { state: withHealth, actions: [] };
    const out = countEngineRestarts(withHealth, 1, at, rules);
    return rules.liveness ? out : { ...out, state: { ...out.state, budget: healthy(out.state.budget, at) } };
  }
  if ((s.lifecycle === 'stopped' || s.lifecycle === 'exited') && s.budget.loop === 'gave_up') {
    return { state: { ...withHealth, budget: { ...withHealth.budget, loop: 'open' } }, actions: [] }; // an operator takes over
  }
  return { state: withHealth, actions: [] };
}

/**
 * An orchestrator never starts one of its task containers again (it creates a new task), so one that
 * runs again was started by someone else and is an untracked orphan: reported, and handed back when the
 * policy allows it (it may hold the port its replacement needs).
 */
function onOrphaned(s: MachineState, at: number, rules: Rules, ctx: Context, found?: string): Step {
  if (!rules.task || s.lifecycle !== 'running' || s.inFlight) return { state: s, actions: [] };
  const reason = found ?? 'started again outside its orchestrator, which no longer tracks it (an orphan)';
  const orphan: Action = { type: 'notify', event: 'orphan', reason };
  if (rules.task.orphans !== 'remove') return { state: s, actions: [orphan] };
  const out = decide(s, { kind: 'restart', reason, cause: 'orphan' }, at, rules, ctx);
  return { state: out.state, actions: [orphan, ...out.actions] };
}


function onExit(s: MachineState, exit: Exit, rules: Rules, ctx: Context, unconfirmed: boolean): Step {
  const crashed = exit.exitCode !== 0 || exit.oom;
  const next: MachineState = { ...s, lifecycle: 'exited', lastExit: exit, pending: undefined, budget: unhealthy(s.budget) };
  const died: Action = {
    type: 'notify',
    event: 'died',
    reason: exit.oom ? 'killed by the kernel (out of memory)' : `exited with code ${exit.exitCode}`,
    exitCode: exit.exitCode,
    oom: exit.oom,
  };
  // An exit its events never confirmed may be an operator's stop: never started on it (late-exit.ts).
  if (!crashed || !startsAfterExit(rules) || unconfirmed) return { state: next, actions: [died] };
  const out = decide(next, { kind: 'start', reason: died.reason, cause: 'exit' }, exit.at, rules, ctx);
  return { state: out.state, actions: [died, ...out.actions] };
}

/** healer (re)started while the container was down after a crash: take the on-exit decision again. */
export function resumeExited(state: MachineState, at: number, rules: Rules, ctx: Context = NO_CONTEXT): Step {
  const s = clampFuture(state, at, rules.backoff.maxMs); // the state file may have been written on a clock ahead
  // A start healer owed when it (re)started: the container is down because of healer's own restart.
  if (s.lifecycle === 'exited' && s.owedStart) return decide(s, s.owedStart, at, rules, ctx);
  if (s.lifecycle !== 'exited' || !s.lastExit || !startsAfterExit(rules)) return { state: s, actions: [] };
  if (s.lastExit.exitCode === 0 && !s.lastExit.oom) return { state: s, actions: [] };
  const reason = s.lastExit.oom ? 'killed by the kernel (out of memory)' : `exited with code ${s.lastExit.exitCode}`;
  return decide(s, { kind: 'start', reason, cause: 'exit' }, at, rules, ctx);
}
