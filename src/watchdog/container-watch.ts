import type { Logger } from 'pino';
import type { Policy } from '../config/policy.ts';
import type { ContainerInfo } from '../docker/types.ts';
import { resetWake } from './bookkeeping.ts';
import { EventReader } from './event-reader.ts';
import { ExitVerdict } from './exit-verdict.ts';
import { KeptAlerts } from './kept-alerts.ts';
import { newWatchCounts, type LastProbe, type WatchCounts, type WatchDeps } from './watch-types.ts';
import type { Action, Context, Input, MachineState, Rules, Step } from './machine-types.ts';
import { ProbeRuns } from './probe-run.ts';
import { ProbeSlots } from './probe-slots.ts';
import { Wake } from './schedule.ts';
import type { PersistedContainer, RestartSent } from './state-file.ts';
import { resumeExited, step } from './state-machine.ts';
import { noteSurvival } from './stop-survival.ts';
import { countsAsFailing, followPolicy, startHealth, watchRules, watchStartState } from './watch-rules.ts';

export { NO_OBSERVER, type LastProbe, type Observer, type WatchCounts, type WatchDeps, type WatchEffects } from './watch-types.ts';

/**
 * One watched container: runs its probes on schedule, feeds results and engine events to the state
 * machine, and carries out the actions it returns. All I/O for a container goes through here.
 */
export class ContainerWatch {
  readonly policy: Policy;
  state: MachineState;
  readonly last: { liveness?: LastProbe; readiness?: LastProbe } = {};
  readonly counts: WatchCounts = newWatchCounts();
  /** What the engine's events between healer's inputs say (own actions, stop signals, OOM). */
  readonly events = new EventReader();
  /**
   * Set when an unexpected error parked this watch: it no longer probes or acts, and the status shows
   * why. Every other container carries on; the watch is made anew when the container starts again.
   */
  error: { readonly message: string; readonly at: number } | undefined;
  /** healer's restart sent and not answered yet (actor.ts): persisted as an owed start (persistedEntry). */
  restartSent: RestartSent | undefined;
  /** The engine's verdict on the exit held, read once from the first inspect of an exit seen live (exit-verdict.ts). */
  readonly exits = new ExitVerdict();
  /** This run was reported as an orphan (a task started outside its orchestrator): said once per run. */
  orphanSeen = false;
  /** Why the probe cannot be routed (a configuration problem, not a failure); undefined when it can. */
  configProblem: string | undefined;
  private readonly deps: WatchDeps;
  private rules: Rules;
  /** The probe schedules (probe-slots.ts); what a probe's result does is probe-run.ts (runs). */
  private readonly probes: ProbeSlots;
  private readonly runs: ProbeRuns;
  private readonly pendingActions = new Set<Promise<void>>();
  private readonly wake: Wake;
  private closed = false;
  /** Alerts the state file kept open that this healer has not yet seen still open (kept-alerts.ts). */
  private kept: KeptAlerts | undefined;
  private readonly persisted: PersistedContainer | undefined;
  private current: ContainerInfo;
  private logger: Logger;

  constructor(info: ContainerInfo, policy: Policy, deps: WatchDeps, persisted?: PersistedContainer) {
    this.current = info;
    this.logger = deps.log;
    this.policy = policy;
    this.deps = deps;
    this.wake = new Wake(deps.clock);
    this.runs = new ProbeRuns(this, deps);
    this.probes = new ProbeSlots(deps.clock, deps.observer, {
      mayProbe: () => this.state.lifecycle === 'running' && !this.state.inFlight,
      probe: (role, p, slot) => this.runs.probe(role, p, slot),
      guard: (fn) => this.guard(fn),
      park: (err) => this.park(err),
      log: () => this.log,
    });
    this.persisted = persisted;
    this.rules = watchRules(policy, info, deps.dryRun);
    this.state = watchStartState(info, policy, deps.clock.now(), persisted);
  }

  /** Whether fresh probe failures re-drive a deferred restart; if not, a context change must wake it. */
  get confirmsByProbe(): boolean {
    const kind = this.policy.liveness?.spec.kind;
    return kind !== undefined && kind !== 'docker' && this.state.pending?.kind === 'restart';
  }

  /**
   * Fresh inspect data: whether the engine brings the container back (`docker update --restart`), and
   * whether its restart policy left the crash healer saw live down (its verdict, read once per exit:
   * exit-verdict.ts): then the on-exit start is decided now (the exit itself decided nothing, as the
   * engine was expected to restart it).
   */
  followRestartPolicy(): void {
    const before = this.rules;
    this.rules = followPolicy(before, this.info, this.exits.take(this.info));
    const s = this.state;
    if (this.rules.engineGaveUp === true && before.engineGaveUp !== true && s.lifecycle === 'exited' && !s.inFlight && !s.pending) {
      this.guard(() => this.apply((st, ctx) => resumeExited(st, this.deps.clock.now(), this.rules, ctx), 'engine gave up'));
    }
  }

  /** Whether this container counts as failing for the breaker and for its dependents. */
  get failing(): boolean {
    return countsAsFailing(this.state, this.rules, this.error !== undefined);
  }

  /** Failing by a kept `unhealthy` only, not yet probed by this healer: the breaker does not count it (breaker.ts). */
  get failingUnseen(): boolean {
    return this.kept?.livenessUnjudged === true && this.state.lifecycle === 'running' && !this.state.inFlight;
  }

  /**
   * How long the most overdue probe timer is past its due time, on monotonic time (0 when all are on
   * time). A schedule that stops firing is a dead loop: /healthz reports it; a wall-clock step is not one.
   */
  overdueMs(mono: number): number {
    return this.closed ? 0 : this.probes.overdueMs(mono);
  }

  /** The container as last inspected. A new name (`docker rename`, compose's rename) rebinds the log lines to it. */
  get info(): ContainerInfo {
    return this.current;
  }
  set info(info: ContainerInfo) {
    if (info.name !== this.current.name && this.deps.relog) this.logger = this.deps.relog(info);
    this.current = info;
  }

  get id(): string {
    return this.info.id;
  }
  get name(): string {
    return this.info.name;
  }
  get log(): Logger {
    return this.logger;
  }

  /** Starts the probe schedules; Docker health is read from the inspect data it was created with. */
  start(): void {
    this.guard(() => this.begin());
  }

  private begin(): void {
    for (const role of ['liveness', 'readiness'] as const) {
      const p = this.policy[role];
      if (p && p.spec.kind !== 'docker') this.probes.schedule(role, p);
    }
    // Alerts an earlier healer left open (the state file): told again once seen still open (kept-alerts.ts).
    this.kept = new KeptAlerts(this.state, this.deps.clock.now(), (r) => this.deps.effects.reopen?.(this, r.event, r.since));
    // Docker says health only on a change: what it says as the watch starts is fed now (watch-rules.ts).
    const status = startHealth(this.info, this.policy, this.state);
    if (status) this.feed({ type: 'health', status, at: this.deps.clock.now() });
    const exit = this.state.lifecycle === 'exited' ? this.state.lastExit : undefined;
    const owedDown = this.state.lifecycle === 'exited' && this.state.owedStart !== undefined;
    if ((this.state.lastExit || this.state.owedStart) && this.state.lifecycle === 'exited') {
      this.apply((s, ctx) => resumeExited(s, this.deps.clock.now(), this.rules, ctx), 'resume');
    }
    this.kept.atStart(this.state, exit !== undefined && (exit.exitCode !== 0 || exit.oom), owedDown);
    // An alert only `recovered` ends (held, refused start, loop) of a container with no liveness probe found
    // running (started by hand while no healer ran): no probe will say it runs, so it is judged now (bookkeeping.ts).
    if (this.state.lifecycle === 'running' && this.state.unresolved && !this.rules.liveness) this.feed({ type: 'tick', at: this.deps.clock.now() });
    // A kept budget healthy after restarts resets on time as a live one does: no step asked for its wake.
    const reset = resetWake(this.state, this.rules);
    if (reset) this.dispatch(reset);
  }

  /** Closed (container removed, healer stopping): nothing is fed to it any more. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops scheduling and waits (bounded by the caller) for in-flight probes and actions. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake.clear();
    this.deps.matchBudget?.forget(this.id);
    const runs = this.probes.stop();
    await Promise.allSettled([...runs, ...this.pendingActions]);
  }

  /** Feeds one input to the state machine and carries out what it decides. */
  feed(input: Input): void {
    if (input.type === 'orphaned') this.orphanSeen = true;
    // An exit found by inspect only (late-exit.ts, a resync) may be someone's stop: no verdict starts it.
    if (input.type === 'stopped' && input.by === 'exit') this.exits.exited(input.unconfirmed !== true);
    this.guard(() => {
      // An endless stop the container survived ends before its check's verdict is taken (stop-survival.ts).
      noteSurvival(this, input, this.deps.clock.now());
      const before = this.state;
      const unseen = this.failingUnseen;
      this.apply((s, ctx) => step(s, input, this.rules, ctx), input.type);
      this.kept?.after(input, before, this.state);
      // Seen failing now (its kept `unhealthy` confirmed): the breaker counts it from now, so it looks again.
      if (unseen && !this.failingUnseen && this.failing) this.deps.effects.changed(this, this.state, true);
    });
  }

  /**
   * Runs one piece of this watch's work; an unexpected error parks the watch (logged with the container,
   * counted, shown in the status) instead of reaching the process: every other container is still healed.
   */
  guard(fn: () => void): void {
    if (this.error) return;
    try {
      fn();
    } catch (err) {
      this.park(err);
    }
  }

  park(err: unknown): void {
    if (this.error) return;
    const message = err instanceof Error ? err.message : String(err);
    this.error = { message, at: this.deps.clock.now() };
    this.deps.observer.watchError();
    this.log.error({ err: message, stack: err instanceof Error ? err.stack : undefined }, 'unexpected error; this container is no longer probed or acted on until it starts again');
    void this.close();
  }

  private apply(fn: (s: MachineState, ctx: Context) => Step, why: string): void {
    if (this.closed) return;
    const before = this.state;
    const wasFailing = this.failing;
    const { state, actions } = fn(before, this.deps.effects.context(this));
    this.state = state;
    // The engine's give-up was about the exit just left behind; the next one is read afresh.
    if (before.lifecycle === 'exited' && state.lifecycle !== 'exited') {
      this.exits.none();
      if (this.rules.engineGaveUp === true) this.rules = { ...this.rules, engineGaveUp: false };
    }
    if (before.lifecycle !== state.lifecycle) this.log.debug({ from: before.lifecycle, to: state.lifecycle, input: why }, 'lifecycle');
    if (state !== before) this.deps.effects.changed(this, before, wasFailing !== this.failing);
    for (const action of this.kept?.filter(actions) ?? actions) this.dispatch(action);
  }

  private dispatch(action: Action): void {
    if (action.type === 'wake') {
      if (this.wake.waitingFor(action.at)) return;
      this.deps.effects.notify(this, action);
      // (At its time however far: a state file ahead of the clock puts a backoff past Node's timer limit.)
      this.wake.set(action.at, () => this.feed({ type: 'tick', at: this.deps.clock.now() }));
      return;
    }
    this.deps.effects.notify(this, action);
    if (action.type === 'restart' || action.type === 'start' || action.type === 'stop' || action.type === 'replace') {
      const run = this.deps.effects.act(this, action.type, action.reason, action.cause);
      const tracked = run.finally(() => this.pendingActions.delete(tracked));
      this.pendingActions.add(tracked);
    }
  }

  /** Whether its liveness probe passes now (run once, off schedule): a restart that waited for a slot asks (probe-run.ts). */
  passesNow(): ReturnType<ProbeRuns['passesNow']> {
    return this.runs.passesNow();
  }
}
