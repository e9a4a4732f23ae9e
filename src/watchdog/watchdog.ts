import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.ts';
import { resolveAddress } from '../docker/address.ts';
import type { Alerter } from '../alerting/alerter.ts';
import { containerAlert, hostAlert } from '../alerting/from-watch.ts';
import type { Engine } from '../docker/engine.ts';
import { EventStream } from '../docker/event-stream.ts';
import { isSelf } from '../docker/self.ts';
import type { ContainerEvent, ContainerInfo } from '../docker/types.ts';
import type { PolledKind } from '../probes/index.ts';
import type { Prober } from '../probes/types.ts';
import type { Clock } from './clock.ts';
import { ContainerWatch, NO_OBSERVER, type Observer, type WatchEffects } from './container-watch.ts';
import { NO_HISTORY, recordAction, type HistorySink } from './history.ts';
import { evaluate } from './discover.ts';
import { breakerOpen, failingDependency } from './guards.ts';
import { Limit } from './limit.ts';
import { describeAction } from './narrate.ts';
import type { StateFile } from './state-file.ts';
import type { Cause, MachineState } from './state-machine.ts';
import { containerStatus, type ContainerStatus } from './status.ts';

export interface WatchdogDeps {
  readonly engine: Engine;
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly probers: Readonly<Record<PolledKind, Prober>>;
  readonly self: { readonly ids: readonly string[]; readonly hostname: string };
  /** Networks healer's own container is on, for resolving an empty probe host. */
  readonly selfNetworks?: readonly string[];
  readonly state: StateFile;
  readonly alerter: Alerter;
  /** Histograms for the metrics; per-container totals are read from the watches. */
  readonly observer?: Observer;
  /** Where transitions and probe results are recorded for the status page; none by default. */
  readonly history?: HistorySink;
}

/** A probe schedule this late means the loop that runs them is stuck: /healthz turns 503. */
export const STALL_MS = 15_000;

/** A container healer saw but cannot watch because of its labels. */
export interface LabelProblem {
  readonly id: string;
  readonly name: string;
  readonly errors: readonly string[];
}

/** Per container, what the event stream says between healer's own actions. */
interface Seen {
  /** healer's restarts whose closing `restart` event has not arrived: their kill/die/stop/start are healer's. */
  ownRestarts: number;
  /** A kill not sent by healer since the last start: the exit that follows is someone's stop. */
  killed: boolean;
  oom: boolean;
}

/**
 * Discovery and wiring: follows the engine's events, keeps one ContainerWatch per opted-in container,
 * and carries out actions under the global guards (restart limit, mass-failure breaker), re-checking the
 * container first so nothing is done on stale information.
 */
/**
 * Inspects at once while discovering (start-up, resync after an outage, bursts of events). The
 * inspect before an action does not queue behind them.
 */
const INSPECT_CONCURRENCY = 8;

export class Watchdog {
  readonly watches = new Map<string, ContainerWatch>();
  readonly problems = new Map<string, LabelProblem>();
  engineReachable = false;
  paused = false;
  private readonly deps: WatchdogDeps;
  private readonly events: EventStream;
  private readonly restarts: Limit;
  /** Discovery inspects in flight: a resync of 2,000 containers is not 2,000 connections to the engine at once. */
  private readonly inspects = new Limit(INSPECT_CONCURRENCY);
  private readonly serial = new Map<string, Promise<void>>();
  private readonly seen = new Map<string, Seen>();
  private stopping = false;

  constructor(deps: WatchdogDeps) {
    this.deps = deps;
    this.restarts = new Limit(deps.loaded.config.guards.max_concurrent_restarts);
    this.events = new EventStream(
      deps.engine,
      {
        onEvent: (ev) => this.onEvent(ev),
        onConnected: (reconnect) => this.onConnected(reconnect),
        onDisconnected: (err) => {
          // Said once per outage (and alerted); every further failed reconnect attempt only at debug.
          if (this.engineReachable) {
            deps.alerter.emit(hostAlert('docker_unreachable', `the event stream broke: ${err.message}; no action until the engine is back`));
            this.deps.log.error({ err: err.message }, 'docker engine unreachable; no action until it is back');
            (this.deps.history ?? NO_HISTORY).transition({ at: this.deps.clock.now(), container: '', event: 'engine_unreachable', reason: err.message });
          } else this.deps.log.debug({ err: err.message }, 'docker engine still unreachable');
          this.engineReachable = false;
        },
      },
      deps.log.child({ component: 'events' }),
    );
  }

  /** Connects to the event stream and discovers containers; rejects when the engine cannot be reached. */
  async start(): Promise<void> {
    await this.events.start();
  }

  /** SIGTERM: no new probes, in-flight probes and restarts finish within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const all = Promise.allSettled([this.events.stop(), ...[...this.watches.values()].map((w) => w.close())]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) this.deps.log.warn({ graceMs }, 'stopped waiting for in-flight work');
    await this.deps.state.flush();
  }

  /** The status data: every watched container, label problems, and the host-wide guards. */
  status(): { engineReachable: boolean; paused: boolean; containers: ContainerStatus[]; problems: LabelProblem[] } {
    const now = this.deps.clock.now();
    return {
      engineReachable: this.engineReachable,
      paused: this.paused,
      containers: [...this.watches.values()].map((w) => containerStatus(w, now)).sort((a, b) => a.name.localeCompare(b.name)),
      problems: [...this.problems.values()],
    };
  }

  /** What /healthz answers: the engine is reachable and every probe schedule fires on time. */
  health(): { ok: true } | { ok: false; reason: string } {
    if (this.stopping) return { ok: false, reason: 'healer is stopping' };
    if (!this.engineReachable) return { ok: false, reason: 'docker engine unreachable' };
    const now = this.deps.clock.now();
    for (const w of this.watches.values()) {
      const late = w.overdueMs(now);
      if (late > STALL_MS) return { ok: false, reason: `probe loop stalled: ${w.name}'s probe is ${Math.round(late / 1000)}s overdue` };
    }
    return { ok: true };
  }

  get eventReconnects(): number {
    return this.events.reconnects;
  }

  private async onConnected(reconnect: boolean): Promise<void> {
    await this.sync();
    if (reconnect && !this.engineReachable) this.deps.alerter.emit(hostAlert('docker_reconnected', `reconnected and resynchronised: ${this.watches.size} containers watched`));
    if (reconnect && !this.engineReachable) (this.deps.history ?? NO_HISTORY).transition({ at: this.deps.clock.now(), container: '', event: 'engine_reconnected', reason: `${this.watches.size} containers watched` });
    this.engineReachable = true;
    this.deps.log.info({ watched: this.watches.size, problems: this.problems.size, reconnect }, reconnect ? 'docker engine reconnected; resynchronised' : 'watching');
  }

  /** Lists every container and brings the watches in line with what the engine has now. */
  async sync(): Promise<void> {
    const ids = new Set(await this.deps.engine.listIds());
    for (const id of [...this.watches.keys(), ...this.problems.keys()]) if (!ids.has(id)) this.forget(id);
    await Promise.all([...ids].map((id) => this.inOrder(id, () => this.refresh(id, true))));
  }

  /** Runs per-container work one at a time, in arrival order. */
  private inOrder(id: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.serial.get(id) ?? Promise.resolve();
    const next = prev.then(fn).catch((err: unknown) => {
      this.deps.log.error({ id: id.slice(0, 12), err: (err as Error).message }, 'container update failed');
    });
    this.serial.set(id, next);
    void next.finally(() => {
      if (this.serial.get(id) === next) this.serial.delete(id);
    });
    return next;
  }

  /** Inspects a container and creates, keeps or drops its watch; on resync, counts restarts it missed. */
  private async refresh(id: string, resync = false): Promise<void> {
    if (this.stopping) return;
    const info = await this.inspects.run(() => this.deps.engine.inspect(id));
    if (!info) return this.forget(id);
    const existing = this.watches.get(id);
    if (existing) {
      const missed = info.restartCount - existing.info.restartCount;
      existing.info = info;
      if (resync && missed > 0) existing.feed({ type: 'engine_restarts', count: missed, at: this.deps.clock.now() });
      if (resync && !info.running && existing.state.lifecycle === 'running') existing.feed({ type: 'stopped', by: 'operator', at: this.deps.clock.now() });
      if (resync && info.running && existing.state.lifecycle !== 'running' && !existing.state.inFlight) existing.feed({ type: 'started', at: this.deps.clock.now() });
      return;
    }
    if (this.problems.has(id)) return;
    this.consider(info);
  }

  private consider(info: ContainerInfo): void {
    const verdict = evaluate(info, this.deps.loaded, this.deps.self);
    if (verdict.kind === 'ignore') return;
    if (verdict.kind === 'problem') {
      this.problems.set(info.id, { id: info.id, name: info.name, errors: verdict.errors });
      for (const e of verdict.errors) this.deps.log.error({ container: info.name, id: info.id.slice(0, 12) }, `${e}; this container is not watched`);
      return;
    }
    const persisted = this.deps.state.get(info.id);
    const watch = new ContainerWatch(
      info,
      verdict.policy,
      {
        probers: this.deps.probers,
        observer: this.deps.observer ?? NO_OBSERVER,
        clock: this.deps.clock,
        log: this.deps.log.child({ container: info.name, id: info.id.slice(0, 12), service: info.service, project: info.project }),
        effects: this.effects,
        address: (w) => this.address(w),
        dryRun: this.deps.loaded.config.dry_run,
        engineUp: () => this.engineReachable,
        history: this.deps.history ?? NO_HISTORY,
      },
      persisted,
    );
    this.watches.set(info.id, watch);
    this.seen.set(info.id, { ownRestarts: 0, killed: false, oom: false });
    watch.log.info(
      {
        liveness: watch.policy.liveness?.spec.kind ?? 'none',
        readiness: watch.policy.readiness?.spec.kind ?? 'none',
        action: watch.policy.action,
        restartsInWindow: watch.state.budget.restarts.length,
        loop: watch.state.budget.loop,
      },
      'watching container',
    );
    const missed = persisted ? info.restartCount - persisted.restartCount : 0;
    if (missed > 0) watch.feed({ type: 'engine_restarts', count: missed, at: this.deps.clock.now() });
    watch.start();
    this.persist(watch);
  }

  private forget(id: string): void {
    const w = this.watches.get(id);
    if (w) {
      w.log.info('container removed; no longer watched');
      void w.close();
      this.deps.state.delete(id);
    }
    this.watches.delete(id);
    this.problems.delete(id);
    this.seen.delete(id);
    this.reassess();
  }

  private address(w: ContainerWatch): ReturnType<typeof resolveAddress> {
    const mode = w.info.networkMode;
    const owner = mode.startsWith('container:') ? this.watches.get(mode.slice(10))?.info : undefined;
    return resolveAddress(w.info, { network: w.policy.network, selfNetworks: this.deps.selfNetworks ?? [], owner });
  }

  /** Routes one engine event; unknown containers are only looked at when they start. */
  private onEvent(ev: ContainerEvent): void {
    if (this.stopping || isSelf(ev.id, this.deps.self)) return;
    const w = this.watches.get(ev.id);
    const seen = this.seen.get(ev.id);
    const now = this.deps.clock.now();
    if (!w || !seen) {
      if (ev.action === 'start') void this.inOrder(ev.id, () => this.refresh(ev.id));
      else if (ev.action === 'destroy') void this.inOrder(ev.id, () => Promise.resolve(this.forget(ev.id)));
      return;
    }
    const ours = seen.ownRestarts > 0;
    switch (ev.action) {
      case 'restart':
        if (seen.ownRestarts > 0) seen.ownRestarts--;
        return;
      case 'kill':
        if (!ours && !w.state.inFlight) seen.killed = true;
        return;
      case 'oom':
        seen.oom = true;
        return;
      case 'start':
        seen.killed = false;
        seen.oom = false;
        if (!ours && !w.state.inFlight && w.state.lifecycle !== 'running') (this.deps.history ?? NO_HISTORY).transition({ at: now, container: w.name, project: w.info.project, event: 'operator_start', reason: 'started outside healer' });
        if (!ours) w.feed({ type: 'started', at: now });
        void this.inOrder(ev.id, () => this.refresh(ev.id));
        return;
      case 'health_status':
        if (w.policy.liveness?.spec.kind === 'docker' && (ev.health === 'healthy' || ev.health === 'unhealthy' || ev.health === 'starting')) {
          w.feed({ type: 'health', status: ev.health, at: now });
        }
        return;
      case 'die':
        if (ours || w.state.inFlight) return;
        if (seen.killed) {
          w.log.info({ exitCode: ev.exitCode }, 'container stopped by an operator; it stays stopped');
          (this.deps.history ?? NO_HISTORY).transition({ at: now, container: w.name, project: w.info.project, event: 'operator_stop', reason: 'stopped by an operator' });
          w.feed({ type: 'stopped', by: 'operator', at: now });
        } else {
          w.feed({ type: 'stopped', by: 'exit', exitCode: ev.exitCode ?? -1, oom: seen.oom, at: now });
        }
        return;
      case 'stop':
        if (!ours && !w.state.inFlight && w.state.lifecycle !== 'stopped') w.feed({ type: 'stopped', by: 'operator', at: now });
        return;
      case 'destroy':
        void this.inOrder(ev.id, () => Promise.resolve(this.forget(ev.id)));
        return;
      case 'rename':
        void this.inOrder(ev.id, () => this.refresh(ev.id));
        return;
      default:
        w.log.debug({ action: ev.action }, 'container event');
    }
  }

  private readonly effects: WatchEffects = {
    act: (w, kind, reason, cause) => this.act(w, kind, reason, cause),
    notify: (w, action) => {
      const line = describeAction(action);
      if (line) w.log[line.level](line.fields, line.msg);
      if (action.type === 'notify' && action.event === 'recovered' && action.recoveryMs !== undefined) (this.deps.observer ?? NO_OBSERVER).recovered(action.recoveryMs / 1000);
      recordAction(this.deps.history ?? NO_HISTORY, w, action, this.deps.clock.now());
      if (action.type === 'notify') {
        const extra = {
          ...(action.recoveryMs !== undefined ? { recoveryMs: action.recoveryMs } : {}),
          ...(action.exitCode !== undefined ? { exitCode: action.exitCode, oom: action.oom ?? false } : {}),
        };
        this.deps.alerter.emit(containerAlert(w, action.event, action.reason, this.deps.clock.now(), extra));
      }
    },
    context: (w) => ({
      // Asked on every probe result: only containers with dependencies pay for looking at the others.
      heldBy:
        w.policy.dependsOn.length === 0
          ? undefined
          : failingDependency(
              { project: w.info.project, dependsOn: w.policy.dependsOn },
              [...this.watches.values()].filter((o) => o !== w).map((o) => ({ name: o.name, project: o.info.project, service: o.info.service, failing: o.failing })),
            ),
      paused: this.paused,
    }),
    changed: (w, before, failingFlipped) => this.changed(w, before, failingFlipped),
  };

  private changed(w: ContainerWatch, before: MachineState, failingFlipped: boolean): void {
    const s = w.state;
    if (s.budget !== before.budget || s.lifecycle !== before.lifecycle || s.lastExit !== before.lastExit) this.persist(w);
    if (failingFlipped) this.reassess();
  }

  private persist(w: ContainerWatch): void {
    const s = w.state;
    this.deps.state.set(w.id, { name: w.name, budget: s.budget, lastExit: s.lastExit, lifecycle: s.lifecycle, restartCount: w.info.restartCount });
  }

  private reassessing = false;
  /** Re-evaluates the breaker, and lets held or paused containers decide again. */
  private reassess(): void {
    if (this.reassessing) return;
    this.reassessing = true;
    try {
      const all = [...this.watches.values()];
      const failing = all.filter((w) => w.failing).length;
      const { fraction, min_containers } = this.deps.loaded.config.guards.mass_failure;
      const open = breakerOpen(failing, all.length, { fraction, minContainers: min_containers });
      if (open !== this.paused) {
        this.paused = open;
        const why = `${failing} of ${all.length} watched containers failing (pause above ${fraction * 100}%)`;
        if (open) this.deps.log.error({ event: 'paused', failing, watched: all.length, fraction }, 'restarts paused: too many containers failing at once');
        else this.deps.log.warn({ event: 'resumed', failing, watched: all.length, fraction }, 'restarts resumed');
        this.deps.alerter.emit(hostAlert(open ? 'paused' : 'resumed', why));
        (this.deps.history ?? NO_HISTORY).transition({ at: this.deps.clock.now(), container: '', event: open ? 'paused' : 'resumed', reason: why });
      }
      // A held or paused restart is taken again on the container's next failed probe (it may recover
      // with the rest); those with no probe to tell (Docker health, on-exit starts) are woken here.
      const now = this.deps.clock.now();
      for (const w of all) {
        if (!w.state.pending || w.confirmsByProbe) continue;
        const ctx = this.effects.context(w);
        if (!ctx.paused && ctx.heldBy === undefined) w.feed({ type: 'tick', at: now });
      }
    } finally {
      this.reassessing = false;
    }
  }

  private async act(w: ContainerWatch, kind: 'restart' | 'start' | 'stop', reason: string, cause: Cause): Promise<void> {
    const seen = this.seen.get(w.id);
    let done: boolean;
    try {
      done = await this.restarts.run(async () => {
        // Never act on stale information: look again just before acting.
        const fresh = await this.deps.engine.inspect(w.id);
        if (!fresh) {
          w.log.info({ reason }, `${kind} skipped: container is gone`);
          return false;
        }
        w.info = fresh;
        if (isSelf(fresh.id, this.deps.self)) return false;
        const ready = kind === 'start' ? !fresh.running && !fresh.restarting : fresh.running && !fresh.restarting;
        if (!ready) {
          w.log.info({ reason, running: fresh.running, restarting: fresh.restarting }, `${kind} skipped: the container is no longer in the state that called for it`);
          return false;
        }
        // The restart budget that counts this action goes to disk now (not waited for: an fsync on a busy
        // disk must not hold up the restart).
        void this.deps.state.flush();
        w.log.warn({ reason, action: kind, timeoutMs: w.policy.restartTimeoutMs }, kind === 'stop' ? 'stopping container (quarantine)' : `${kind === 'restart' ? 'restarting' : 'starting'} container`);
        if (kind === 'restart') {
          if (seen) seen.ownRestarts++;
          await this.deps.engine.restart(w.id, w.policy.restartTimeoutMs);
        } else if (kind === 'start') await this.deps.engine.start(w.id);
        else await this.deps.engine.stop(w.id, w.policy.restartTimeoutMs);
        w.log.info({ action: kind, event: kind === 'stop' ? 'stopped' : 'restarted', restartsInWindow: w.state.budget.restarts.length }, `container ${kind === 'stop' ? 'stopped' : kind === 'restart' ? 'restarted' : 'started'}`);
        return true;
      });
    } catch (err) {
      if (seen && kind === 'restart') seen.ownRestarts = 0;
      const error = (err as Error).message;
      if (kind === 'stop') {
        w.log.error({ action: kind, err: error, reason }, 'stop failed');
        return;
      }
      w.counts.restartFailures[cause]++;
      // The state machine narrates it (`restart failed`, with the engine's error as the reason) and alerts.
      w.feed({ type: 'restart_done', ok: false, error, at: this.deps.clock.now() });
      return;
    }
    if (kind === 'stop' && done) (this.deps.history ?? NO_HISTORY).transition({ at: this.deps.clock.now(), container: w.name, project: w.info.project, event: 'stopped', reason });
    if (kind === 'stop') return;
    const now = this.deps.clock.now();
    if (done) {
      w.counts.restarts[cause]++;
      (this.deps.history ?? NO_HISTORY).transition({ at: now, container: w.name, project: w.info.project, event: kind === 'restart' ? 'restarted' : 'started', reason });
      w.feed({ type: 'restart_done', ok: true, at: now });
      this.deps.alerter.emit(containerAlert(w, 'restarted', reason, now));
      if (kind === 'restart') this.restartNamespaceChildren(w);
      return;
    }
    // Not done because the container changed meanwhile: clear the in-flight mark and take its real state.
    w.feed({ type: 'restart_done', ok: true, at: now });
    if (!w.info.running) w.feed({ type: 'stopped', by: 'operator', at: now });
  }

  /** Containers in X's network namespace lose their network when X restarts: restart them after it. */
  private restartNamespaceChildren(owner: ContainerWatch): void {
    for (const child of this.watches.values()) {
      if (child.info.networkMode === `container:${owner.id}` && child.info.running) {
        child.feed({ type: 'restart_requested', reason: `shares the network namespace of ${owner.name}, which was restarted`, at: this.deps.clock.now() });
      }
    }
  }
}
