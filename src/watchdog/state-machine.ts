/**
 * The per-container decisions, as a pure function: (state, input, rules) → (state, actions). No I/O, no
 * timers, no clock of its own: time arrives in each input, so tests feed sequences and check actions.
 */

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

export interface MachineState {
  readonly lifecycle: Lifecycle;
  readonly startedAt: number;
  readonly liveness: Track;
  readonly readiness: Track;
  readonly restartInFlight: boolean;
}

export interface TrackRules {
  readonly failures: number;
  readonly successes: number;
  readonly startPeriodMs: number;
}

export interface Rules {
  readonly liveness: TrackRules | undefined;
  readonly readiness: TrackRules | undefined;
  readonly action: 'restart' | 'stop' | 'notify';
  readonly dryRun: boolean;
}

export type Input =
  | { readonly type: 'probe'; readonly role: Role; readonly ok: boolean; readonly at: number }
  /** Docker's own HEALTHCHECK verdict, from a health_status event or inspect. */
  | { readonly type: 'health'; readonly status: 'healthy' | 'unhealthy' | 'starting'; readonly at: number }
  | { readonly type: 'started'; readonly at: number }
  /** The container stopped and is not running: an operator's stop, or a crash. */
  | { readonly type: 'stopped'; readonly by: 'operator' | 'exit'; readonly at: number }
  | { readonly type: 'restart_done'; readonly ok: boolean; readonly at: number };

export type NotifyEvent = 'unhealthy' | 'recovered' | 'not_ready' | 'ready' | 'restart_failed';

export type Action =
  | { readonly type: 'restart'; readonly reason: string }
  | { readonly type: 'stop'; readonly reason: string }
  /** An action the rules chose not to take (dry-run, or action=notify); logged and alerted, never done. */
  | { readonly type: 'withheld'; readonly would: 'restart' | 'stop'; readonly why: 'dry-run'; readonly reason: string }
  | { readonly type: 'notify'; readonly event: NotifyEvent; readonly reason: string; readonly recoveryMs?: number };

export interface Step {
  readonly state: MachineState;
  readonly actions: readonly Action[];
}

const FRESH: Track = { failures: 0, successes: 0, up: undefined, failingSince: undefined };

export function initialState(opts: { running: boolean; startedAt: number }): MachineState {
  return {
    lifecycle: opts.running ? 'running' : 'exited',
    startedAt: opts.startedAt,
    liveness: FRESH,
    readiness: FRESH,
    restartInFlight: false,
  };
}

export function step(s: MachineState, input: Input, rules: Rules): Step {
  switch (input.type) {
    case 'probe':
      return onProbe(s, input.role, input.ok, input.at, rules);
    case 'health':
      if (input.status === 'starting') return { state: s, actions: [] };
      return onVerdict(s, 'liveness', input.status === 'healthy', input.at, rules, 'docker HEALTHCHECK reports unhealthy');
    case 'started':
      return {
        state: {
          ...s,
          lifecycle: 'running',
          startedAt: input.at,
          liveness: { ...s.liveness, failures: 0, successes: 0 },
          readiness: { ...s.readiness, failures: 0, successes: 0 },
        },
        actions: [],
      };
    case 'stopped':
      if (s.restartInFlight) return { state: s, actions: [] };
      return { state: { ...s, lifecycle: input.by === 'operator' ? 'stopped' : 'exited' }, actions: [] };
    case 'restart_done':
      return {
        state: {
          ...s,
          restartInFlight: false,
          lifecycle: input.ok ? 'running' : s.lifecycle === 'restarting' ? 'running' : s.lifecycle,
          startedAt: input.ok ? input.at : s.startedAt,
          liveness: { ...s.liveness, failures: 0, successes: 0 },
        },
        actions: input.ok ? [] : [{ type: 'notify', event: 'restart_failed', reason: 'the engine refused or failed the restart' }],
      };
  }
}

function onProbe(s: MachineState, role: Role, ok: boolean, at: number, rules: Rules): Step {
  const r = rules[role];
  // A result for a container that is not running (or mid-restart) is stale: it says nothing now.
  if (!r || s.lifecycle !== 'running' || s.restartInFlight) return { state: s, actions: [] };
  const t = s[role];
  if (ok) {
    const successes = t.successes + 1;
    if (t.up !== true && successes >= r.successes) return onVerdict(s, role, true, at, rules, '');
    return { state: { ...s, [role]: { ...t, failures: 0, successes, failingSince: t.up === false ? t.failingSince : undefined } }, actions: [] };
  }
  if (at - s.startedAt < r.startPeriodMs) return { state: s, actions: [] };
  const failures = t.failures + 1;
  const counted: Track = { ...t, failures, successes: 0, failingSince: t.failingSince ?? at };
  const next = { ...s, [role]: counted };
  if (failures === r.failures) return onVerdict(next, role, false, at, rules, `${failures} failed ${role} probes in a row`);
  return { state: next, actions: [] };
}

/** A track crosses its threshold: up (recovered/ready) or down (unhealthy/not ready, and act). */
function onVerdict(s: MachineState, role: Role, up: boolean, at: number, rules: Rules, reason: string): Step {
  const t = s[role];
  if (up) {
    const actions: Action[] = [];
    if (role === 'liveness' && t.up === false) {
      const since = t.failingSince ?? at;
      actions.push({ type: 'notify', event: 'recovered', reason: 'probes pass again', recoveryMs: at - since });
    }
    if (role === 'readiness' && t.up === false) actions.push({ type: 'notify', event: 'ready', reason: 'readiness probes pass' });
    return { state: { ...s, [role]: { failures: 0, successes: t.successes + 1, up: true, failingSince: undefined } }, actions };
  }
  if (s.lifecycle !== 'running' || s.restartInFlight) return { state: s, actions: [] };
  const down: Track = { ...t, up: false, failingSince: t.failingSince ?? at };
  const actions: Action[] = [];
  if (role === 'readiness') {
    if (t.up !== false) actions.push({ type: 'notify', event: 'not_ready', reason });
    return { state: { ...s, readiness: down }, actions };
  }
  if (t.up !== false) actions.push({ type: 'notify', event: 'unhealthy', reason });
  const next: MachineState = { ...s, liveness: down };
  if (rules.action === 'notify') return { state: next, actions };
  if (rules.dryRun) {
    actions.push({ type: 'withheld', would: rules.action, why: 'dry-run', reason });
    return { state: { ...next, liveness: { ...down, failures: 0 } }, actions };
  }
  actions.push({ type: rules.action, reason });
  return {
    state: { ...next, restartInFlight: rules.action === 'restart', lifecycle: rules.action === 'restart' ? 'restarting' : next.lifecycle },
    actions,
  };
}
