import { probeRules, type ProbeRules } from '../config/confine.ts';
import type { EngineInfo } from '../docker/dialect.ts';
import { DEFAULT_BACKOFF, EventStream } from '../docker/event-stream.ts';
import { isSelf } from '../docker/self.ts';
import { SwarmView } from '../docker/swarm-view.ts';
import type { ContainerEvent } from '../docker/types.ts';
import { Actor } from './actor.ts';
import { monotonic } from './clock.ts';
import { NO_OBSERVER, type ContainerWatch, type WatchEffects } from './container-watch.ts';
import { Discovery, type LabelProblem } from './discovery.ts';
import { discoveryHost } from './discovery-host.ts';
import { watchableLabels } from './discover.ts';
import { Breaker } from './breaker.ts';
import { engineBack, engineLost } from './engine-outage.ts';
import type { Unreadable } from './inspect-retry.ts';
import { MatchBudget } from './match-budget.ts';
import { NO_HISTORY, type HistorySink } from './history.ts';
import { watchEffects } from './effects.ts';
import { routeEvent } from './event-router.ts';
import { NamespaceChildren } from './namespace-children.ts';
import { OrphanScan } from './orphan-scan.ts';
import { TaskSlots } from './slot-watch.ts';
import { ClusterCount } from './cluster-watch.ts';
import { containerStatus, type ContainerStatus } from './status.ts';
import { stateChanged } from './state-change.ts';
import type { WatchdogDeps } from './watchdog-deps.ts';

export type { LabelProblem, WatchdogDeps };

/** A probe schedule this late means the loop that runs them is stuck: /healthz turns 503. */
export const STALL_MS = 15_000;

/**
 * The wiring: follows the engine's events and hands each to its container's watch, keeps the watches in
 * line with the engine (Discovery), carries out their actions (Actor), and holds the host-wide guards
 * (restart limit, mass-failure breaker).
 */
export class Watchdog {
  readonly watches = new Map<string, ContainerWatch>();
  readonly problems = new Map<string, LabelProblem>();
  engineReachable = false;
  stopping = false;
  private readonly deps: WatchdogDeps;
  private readonly events: EventStream;
  private readonly discovery: Discovery;
  readonly actor: Actor;

  /** Restarts are paused by the mass-failure breaker. */
  get paused(): boolean {
    return this.breaker.open;
  }
  private readonly breaker: Breaker;
  private readonly namespace: NamespaceChildren;
  private readonly history: HistorySink;
  /** Where labels may aim probes (watchdog.yml's probes.*), judged at each probe too. */
  private readonly rules: ProbeRules;
  /** Which engine and API version healer speaks to (from start). */
  private engineInfo: EngineInfo | undefined;
  /** Crash loops of orchestrated service slots, across the containers the orchestrator makes. */
  private readonly slots: TaskSlots;
  /** `swarm.crashloops: cluster`: the leader's count of replicated slots across nodes; undefined with `node`. */
  readonly cluster: ClusterCount | undefined;
  /** Orphans no event showed (made while healer was not looking), asked for after each full discovery. */
  private readonly orphans: OrphanScan;
  /** How the watches act, notify and decide (effects.ts). */
  private readonly effects: WatchEffects;
  /** healer's time for body matching, shared by all watches (match-budget.ts). */
  private readonly matchBudget = new MatchBudget();

  constructor(deps: WatchdogDeps) {
    this.deps = deps;
    this.history = deps.history ?? NO_HISTORY;
    // Published ports: read with healer's own container at start (a running container's cannot change).
    this.rules = probeRules(deps.loaded.config, undefined, deps.selfNetwork?.published);
    const { crashloops } = deps.loaded.config.swarm;
    this.slots = new TaskSlots({ state: deps.state, clock: deps.clock, alerter: deps.alerter, history: this.history, throttleMs: deps.loaded.config.alerts.throttle.window, crashloops, clusterCounts: () => this.cluster?.fallback !== true, defaultWindowMs: deps.loaded.config.defaults.crashloop.window });
    if (crashloops === 'cluster') {
      const swarm = deps.swarm ?? new SwarmView(deps.engine.docker);
      this.cluster = new ClusterCount({ swarm, loaded: deps.loaded, state: deps.state, clock: deps.clock, log: deps.log.child({ component: 'cluster' }), alerter: deps.alerter, history: this.history });
    }
    this.namespace = new NamespaceChildren({ engine: deps.engine, clock: deps.clock, watches: () => this.watches.values() });
    this.actor = new Actor({
      engine: deps.engine,
      clock: deps.clock,
      alerter: deps.alerter,
      state: deps.state,
      self: deps.self,
      maxConcurrent: deps.loaded.config.guards.max_concurrent_restarts,
      history: this.history,
      namespace: this.namespace,
      context: (w) => this.effects.context(w),
    });
    this.effects = watchEffects({
      actor: this.actor,
      alerter: deps.alerter,
      history: this.history,
      slots: this.slots,
      observer: deps.observer ?? NO_OBSERVER,
      clock: deps.clock,
      watches: this.watches,
      paused: () => this.paused,
      // Persisted, flushed at once when it matters, the breaker told (state-change.ts).
      changed: (w, before, failingFlipped) => stateChanged(w, before, failingFlipped, { persist: (x) => this.discovery.persist(x), flush: () => this.deps.state.flush(), reassess: () => this.breaker.reassess() }),
    });
    this.breaker = new Breaker({
      clock: deps.clock,
      log: deps.log,
      alerter: deps.alerter,
      history: this.history,
      guards: deps.loaded.config.guards.mass_failure,
      watches: () => this.watches.values(),
      context: (w) => this.effects.context(w),
      kept: deps.state,
    });
    this.orphans = new OrphanScan({ engine: deps.engine, clock: deps.clock, log: deps.log.child({ component: 'orphans' }) });
    // What Discovery may do to the watch registry: make a watch, replay an event held for it, let it go.
    const host = discoveryHost({
      deps,
      watches: this.watches,
      problems: this.problems,
      stopping: () => this.stopping,
      engineUp: () => this.engineReachable,
      effects: this.effects,
      rules: this.rules,
      history: this.history,
      slots: this.slots,
      matchBudget: this.matchBudget,
      replay: (ev) => this.onEvent(ev, true),
      reassess: () => this.breaker.reassess(),
    });
    this.discovery = new Discovery({ engine: deps.engine, loaded: deps.loaded, self: deps.self, rules: this.rules, state: deps.state, clock: deps.clock, log: deps.log, alerter: deps.alerter }, host);
    this.events = new EventStream(
      deps.engine,
      {
        onEvent: (ev) => this.onEvent(ev),
        onConnected: (reconnect) => this.onConnected(reconnect),
        onDisconnected: (err) => {
          engineLost({ ...this.deps, history: this.history }, err, this.engineReachable);
          this.engineReachable = false;
        },
      },
      deps.log.child({ component: 'events' }),
      DEFAULT_BACKOFF,
      // On the injected clock (the model test drives the stall check on simulated time).
      { set: (fn, ms) => deps.clock.setTimeout(fn, ms), clear: (h) => deps.clock.clearTimeout(h as object) },
      { intervalMs: deps.loaded.config.docker.stall_check, labels: watchableLabels(deps.loaded), now: () => monotonic(deps.clock) },
    );
  }

  /** Connects to the event stream and discovers containers; rejects when the engine cannot be reached. */
  async start(): Promise<void> {
    this.slots.start();
    await this.events.start();
    this.engineInfo = await this.deps.engine.describe();
    this.breaker.start();
    this.cluster?.start();
  }

  /** SIGTERM: no new probes, in-flight probes and restarts finish within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.discovery.stop();
    this.breaker.stop();
    this.slots.stop();
    this.discovery.afterUnpause.close();
    const all = Promise.allSettled([this.events.stop(), this.cluster?.stop(), ...[...this.watches.values()].map((w) => w.close())]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) this.deps.log.warn({ graceMs }, 'stopped waiting for in-flight work');
    await this.deps.state.flush();
  }

  /** The status data: every watched container, label problems, and the host-wide guards. */
  status(): { engine: EngineInfo | undefined; engineReachable: boolean; paused: boolean; containers: ContainerStatus[]; problems: LabelProblem[]; unreadable: Unreadable[] } {
    const now = this.deps.clock.now();
    return {
      engine: this.engineInfo,
      engineReachable: this.engineReachable,
      paused: this.paused,
      containers: [...this.watches.values()].map((w) => containerStatus(w, now)).sort((a, b) => a.name.localeCompare(b.name)),
      problems: [...this.problems.values()],
      // Containers whose inspect the engine failed: not known to opt in or not yet, looked at again.
      unreadable: this.discovery.unreadable(),
    };
  }

  /** How many containers the engine fails to inspect now: the metric reads this, not the whole status. */
  unreadableCount(): number {
    return this.discovery.unreadableCount();
  }

  /** What /healthz answers: the engine is reachable and every probe schedule fires on time. */
  health(): { ok: true } | { ok: false; reason: string } {
    if (this.stopping) return { ok: false, reason: 'healer is stopping' };
    if (!this.engineReachable) return { ok: false, reason: 'docker engine unreachable' };
    const mono = monotonic(this.deps.clock);
    for (const w of this.watches.values()) {
      const late = w.overdueMs(mono);
      if (late > STALL_MS) return { ok: false, reason: `probe loop stalled: ${w.name}'s probe is ${Math.round(late / 1000)}s overdue` };
    }
    return { ok: true };
  }

  get eventReconnects(): number {
    return this.events.reconnects;
  }

  /** Times the event stream was found open but silent (the list showed what no event told) and reopened. */
  get eventStalls(): number {
    return this.events.stalls;
  }

  /** Lists every container and brings the watches in line with what the engine has now. */
  sync(): Promise<void> {
    return this.discovery.sync();
  }

  private async onConnected(reconnect: boolean): Promise<void> {
    await this.discovery.sync();
    this.breaker.synced();
    void this.orphans.scan(this.watches);
    if (reconnect && !this.engineReachable) engineBack({ ...this.deps, history: this.history }, this.watches.size);
    this.engineReachable = true;
    this.deps.log.info({ watched: this.watches.size, problems: this.problems.size, reconnect }, reconnect ? 'docker engine reconnected; resynchronised' : 'watching');
  }

  /** Routes one engine event (event-router.ts); healer's own and those after stop() are dropped. */
  private onEvent(ev: ContainerEvent, replayed = false): void {
    if (this.stopping || isSelf(ev.id, this.deps.self)) return;
    routeEvent(ev, { watches: this.watches, discovery: this.discovery, history: this.history, alerter: this.deps.alerter, slots: this.slots, clock: this.deps.clock, namespace: this.namespace }, replayed);
  }
}
