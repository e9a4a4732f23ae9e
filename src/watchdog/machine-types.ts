/**
 * The state machine's vocabulary: its state, its inputs (what happened), its actions (what to do), and
 * the rules and context a decision is taken under. Kept apart from the decisions so both stay readable.
 */
import type { Budget, BudgetRules } from './budget.ts';

/** `paused`: frozen by `docker pause`; never probed into an action until it is unpaused. */
export type Lifecycle = 'running' | 'restarting' | 'stopped' | 'exited' | 'paused';
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

/** An action that is decided but waits: for backoff, a dependency, the breaker, or a retry. */
export interface Pending {
  readonly kind: 'restart' | 'start';
  readonly reason: string;
  readonly cause: Cause;
  /** A quarantine stop the engine refused is tried again no sooner than this (stops have no backoff of their own). */
  readonly notBefore?: number | undefined;
  /**
   * A start that completes a restart counted already (its stop half ran, healer was killed before the
   * start): not a restart of its own, so it is neither counted again nor held by the backoff.
   */
  readonly completes?: true | undefined;
  /**
   * A restart held because its liveness could not be checked again (recheck.ts, the match budget): it
   * waits for the next liveness probe, not for the breaker, so the status shows the container as what it
   * is meanwhile (unhealthy). Dropped when the next probe decides it again (decide.ts).
   */
  readonly recheckHeld?: true | undefined;
}

/** Why healer acts, as a bounded value for metrics: a failing liveness check, a crash, a namespace owner's restart, an orphaned task. */
export type Cause = 'liveness' | 'exit' | 'namespace' | 'orphan';

export interface MachineState {
  readonly lifecycle: Lifecycle;
  readonly startedAt: number;
  readonly liveness: Track;
  readonly readiness: Track;
  /** healer's own restart or start of this container is under way. */
  readonly inFlight: boolean;
  /**
   * The restart the action in flight was counted as (when, and the budget before): one the actor then
   * skips (the container changed meanwhile: paused, stopped, gone) never happened and is taken back.
   */
  readonly counted: { readonly at: number; readonly before: Budget } | undefined;
  readonly budget: Budget;
  readonly pending: Pending | undefined;
  readonly heldBy: string | undefined;
  /** The last crash (not an operator's stop). */
  readonly lastExit: Exit | undefined;
  /**
   * healer's restart stopped the container and its start was refused: healer owes it a start, whatever
   * `restart.on_exit` says, until it runs again or someone stops it. Persisted, so a healer restarted
   * meanwhile still starts it (its exit code is that of healer's own stop, which reads as someone's stop).
   */
  readonly owedStart: Pending | undefined;
  /**
   * An alert that only a `recovered` ends (restart_failed, crashloop, held) is open with no liveness
   * probe judged down to say it recovered (none, or one passing when the container crashed): the next
   * run that passes (with no probe, runs), once the crash loop is over, says it.
   */
  readonly unresolved: boolean;
  /**
   * When the crash loop open now was alerted (its `crashloop`'s time, Alertmanager's startsAt): kept in
   * the state file, so a loop re-told after healer's own restart fires since it began, not since then.
   */
  readonly loopSince?: number | undefined;
  /**
   * When the open `held` and `restart_failed` were first alerted (until a `recovered` ends them): kept in
   * the state file, so the next healer re-tells them to Alertmanager, firing since then, once it sees
   * them still holding, and does not page chat channels a second time for a start it holds again.
   */
  readonly heldSince?: number | undefined;
  readonly failedSince?: number | undefined;
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
  /**
   * The engine's `on-failure:N` policy has given up on the container's last crash (read from inspect
   * data taken after it): healer's on-exit start applies again. Cleared when the container runs again.
   */
  readonly engineGaveUp?: boolean;
  /** Set for a container an orchestrator owns (a Swarm task): see TaskRules. */
  readonly task?: TaskRules | undefined;
}

/**
 * An orchestrator replaces its own containers, so one is never restarted or started: a failing one is
 * handed back (`replace`: removed or stopped, the orchestrator starts a new one), an exited one is task
 * history. Its Docker HEALTHCHECK is the orchestrator's to act on unless `healthcheck` says healer.
 */
export interface TaskRules {
  readonly healthcheck: 'orchestrator' | 'healer';
  /** A task container started again outside its orchestrator: report it, or also hand it back. */
  readonly orphans: 'report' | 'remove';
}

/** What healer may ask of the engine for one container. */
export type ActionKind = 'restart' | 'start' | 'stop' | 'replace';

/** What the rest of the host says at the moment of a decision. */
export interface Context {
  /** A dependency that is failing now. */
  readonly heldBy: string | undefined;
  /** The mass-failure breaker is open. */
  readonly paused: boolean;
  /** Someone else's stop signal reached the container and it has not exited yet: a stop is under way. */
  readonly stopping?: boolean;
  /** When that stop stops being one (the stop signal's window, as long as the container's stop grace). */
  readonly stopUntil?: number | undefined;
}

export type Input =
  | { readonly type: 'probe'; readonly role: Role; readonly ok: boolean; readonly at: number }
  /** Docker's own HEALTHCHECK verdict, from a health_status event or inspect. */
  | { readonly type: 'health'; readonly status: 'healthy' | 'unhealthy' | 'starting'; readonly at: number }
  /**
   * It runs. `counted`: the engine restarts that brought it back are counted already (the RestartCount
   * growth read at a resync), so a restart-policy start from an exit is not counted again.
   */
  | { readonly type: 'started'; readonly at: number; readonly counted?: boolean }
  /** The container went down: an operator's stop, or an exit (crash or clean). */
  /**
   * `ended`: someone else's stop (not healer's quarantine), which ends what healer had open about the
   * container (its alerts are ended by the router): its next run is judged afresh, so failing again
   * fires anew and passing is no recovery of a condition already ended.
   */
  | { readonly type: 'stopped'; readonly by: 'operator'; readonly at: number; readonly ended?: true }
  /** `unconfirmed`: found by inspect only, its events never came (late-exit.ts): alerted, never started. */
  | { readonly type: 'stopped'; readonly by: 'exit'; readonly exitCode: number; readonly oom: boolean; readonly at: number; readonly unconfirmed?: true }
  /** A task container was started again outside its orchestrator, which no longer tracks it. */
  /** `reason`: how it was found, when not by its own start (its orchestrator says the task is over). */
  | { readonly type: 'orphaned'; readonly at: number; readonly reason?: string }
  /** healer handed a task container back to its orchestrator (removed or stopped it). */
  | { readonly type: 'replaced'; readonly at: number }
  /**
   * healer's own action ended; a failed one is retried (`retry`) after the backoff. `skipped`: not sent,
   * the container was no longer in the state that called for it (not counted as a restart). `gone`: the
   * container was removed (or is being removed) under it: no failure, no retry. `held` (with `skipped`):
   * not sent because its liveness could not be checked again (recheck.ts): it stays decided, and the next
   * failing liveness probe sends it, as for a restart the breaker holds (a pass recovers).
   */
  | { readonly type: 'restart_done'; readonly ok: boolean; readonly error?: string; readonly retry?: Pending; readonly skipped?: boolean; readonly gone?: boolean; readonly held?: Pending; readonly at: number }
  /**
   * healer's quarantine stop failed and the container still runs: the `attempt`th failure in a row (the
   * retry backs off, doubling); `draining` when its stop signal reached the container (no alert: its exit
   * is awaited, and the retry held, for the stop-signal window).
   */
  | { readonly type: 'stop_failed'; readonly error: string; readonly retry: Pending; readonly attempt: number; readonly draining: boolean; readonly at: number }
  /**
   * healer's own action, decided earlier, was not sent when its turn for an engine slot came: the breaker
   * opened (or a dependency failed) meanwhile. Undone, and `want` decided again now.
   */
  | { readonly type: 'requeued'; readonly want: Pending; readonly at: number }
  /** Time passed, or the context changed: take pending decisions again, reset the budget when due. */
  | { readonly type: 'tick'; readonly at: number }
  /** Restarts the engine did while healer could not see events (RestartCount grew). */
  | { readonly type: 'engine_restarts'; readonly count: number; readonly at: number }
  /** The container whose network namespace this one shares was restarted. */
  | { readonly type: 'restart_requested'; readonly reason: string; readonly at: number }
  /**
   * The container's networks changed (`docker network disconnect/connect`): the probes that failed went
   * to an address no longer its own, so their run counts no more, nor a restart they called for.
   */
  | { readonly type: 'rerouted'; readonly at: number }
  /** `docker pause` / `docker unpause`. */
  | { readonly type: 'paused'; readonly at: number }
  | { readonly type: 'unpaused'; readonly at: number };

export type NotifyEvent = 'unhealthy' | 'recovered' | 'not_ready' | 'ready' | 'restart_failed' | 'died' | 'crashloop' | 'held' | 'orphan';

export type Action =
  | { readonly type: ActionKind; readonly reason: string; readonly cause: Cause }
  /** An action the rules chose not to take (dry-run); logged and alerted, never done. */
  | { readonly type: 'withheld'; readonly would: ActionKind; readonly why: 'dry-run'; readonly reason: string; readonly cause: Cause }
  /** Ask to be woken at `at`: for a backoff to end, or for the restart budget to reset. */
  | { readonly type: 'wake'; readonly at: number; readonly reason: string; readonly purpose: 'backoff' | 'reset' }
  /**
   * `failed: 'stop'`: a restart_failed that is a quarantine stop's (the alert names the stop, not a restart).
   * `kept`: the watch's mark (never the machine's) on a condition an earlier healer alerted at that time:
   * told again only to channels that keep conditions open, firing since then (kept-alerts.ts).
   */
  | { readonly type: 'notify'; readonly event: NotifyEvent; readonly reason: string; readonly recoveryMs?: number; readonly exitCode?: number; readonly oom?: boolean; readonly failed?: 'stop'; readonly kept?: number };

export interface Step {
  readonly state: MachineState;
  readonly actions: readonly Action[];
}
