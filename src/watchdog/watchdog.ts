import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.ts';
import { resolveAddress } from '../docker/address.ts';
import type { Engine } from '../docker/engine.ts';
import { EventStream } from '../docker/event-stream.ts';
import { isSelf } from '../docker/self.ts';
import type { ContainerEvent, ContainerInfo } from '../docker/types.ts';
import type { PolledKind } from '../probes/index.ts';
import type { Prober } from '../probes/types.ts';
import type { Clock } from './clock.ts';
import { ContainerWatch, type WatchEffects } from './container-watch.ts';
import { evaluate } from './discover.ts';
import { Limit } from './limit.ts';
import type { Action } from './state-machine.ts';

export interface WatchdogDeps {
  readonly engine: Engine;
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly probers: Readonly<Record<PolledKind, Prober>>;
  readonly self: { readonly ids: readonly string[]; readonly hostname: string };
  /** Networks healer's own container is on, for resolving an empty probe host. */
  readonly selfNetworks?: readonly string[];
}

/** A container healer saw but cannot watch because of its labels. */
export interface LabelProblem {
  readonly id: string;
  readonly name: string;
  readonly errors: readonly string[];
}

/**
 * Discovery and wiring: follows the engine's events, keeps one ContainerWatch per opted-in container,
 * and carries out restarts under the global limit, re-checking the container first so nothing is done
 * on stale information.
 */
export class Watchdog {
  readonly watches = new Map<string, ContainerWatch>();
  readonly problems = new Map<string, LabelProblem>();
  engineReachable = false;
  private readonly deps: WatchdogDeps;
  private readonly events: EventStream;
  private readonly restarts: Limit;
  private readonly serial = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(deps: WatchdogDeps) {
    this.deps = deps;
    this.restarts = new Limit(deps.loaded.config.guards.max_concurrent_restarts);
    this.events = new EventStream(deps.engine, {
      onEvent: (ev) => this.onEvent(ev),
      onConnected: (reconnect) => this.onConnected(reconnect),
      onDisconnected: (err) => {
        this.engineReachable = false;
        this.deps.log.error({ err: err.message }, 'docker engine unreachable; no action until it is back');
      },
    }, deps.log.child({ component: 'events' }));
  }

  /** Connects to the event stream and discovers containers; rejects when the engine cannot be reached. */
  async start(): Promise<void> {
    await this.events.start();
  }

  /** SIGTERM: no new probes, in-flight probes and restarts finish within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await this.events.stop();
    const all = Promise.allSettled([...this.watches.values()].map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) this.deps.log.warn({ graceMs }, 'stopped waiting for in-flight work');
  }

  get eventReconnects(): number {
    return this.events.reconnects;
  }

  private async onConnected(reconnect: boolean): Promise<void> {
    await this.sync();
    this.engineReachable = true;
    this.deps.log.info({ watched: this.watches.size, problems: this.problems.size, reconnect }, reconnect ? 'docker engine reconnected; resynchronised' : 'watching');
  }

  /** Lists every container and brings the watches in line with what the engine has now. */
  async sync(): Promise<void> {
    const ids = new Set(await this.deps.engine.listIds());
    for (const id of [...this.watches.keys(), ...this.problems.keys()]) {
      if (!ids.has(id)) this.forget(id);
    }
    await Promise.all([...ids].map((id) => this.inOrder(id, () => this.refresh(id))));
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

  /** Inspects a container and creates, keeps or drops its watch. */
  private async refresh(id: string): Promise<void> {
    if (this.stopping) return;
    const info = await this.deps.engine.inspect(id);
    if (!info) return this.forget(id);
    const existing = this.watches.get(id);
    if (existing) {
      existing.info = info;
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
    const watch = new ContainerWatch(info, verdict.policy, {
      probers: this.deps.probers,
      clock: this.deps.clock,
      log: this.deps.log.child({ container: info.name, id: info.id.slice(0, 12), service: info.service, project: info.project }),
      effects: this.effects,
      address: (w) => this.address(w),
      dryRun: this.deps.loaded.config.dry_run,
    });
    this.watches.set(info.id, watch);
    watch.log.info(
      { liveness: watch.policy.liveness?.spec.kind ?? 'none', readiness: watch.policy.readiness?.spec.kind ?? 'none', action: watch.policy.action },
      'watching container',
    );
    watch.start();
  }

  private forget(id: string): void {
    const w = this.watches.get(id);
    if (w) {
      w.log.info('container removed; no longer watched');
      void w.close();
    }
    this.watches.delete(id);
    this.problems.delete(id);
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
    const now = this.deps.clock.now();
    switch (ev.action) {
      case 'start':
        if (w) w.feed({ type: 'started', at: now });
        void this.inOrder(ev.id, () => this.refresh(ev.id));
        return;
      case 'health_status':
        if (w && w.policy.liveness?.spec.kind === 'docker' && (ev.health === 'healthy' || ev.health === 'unhealthy' || ev.health === 'starting')) {
          w.feed({ type: 'health', status: ev.health, at: now });
        }
        return;
      case 'die':
        if (w) {
          if (!w.state.restartInFlight) w.log.info({ exitCode: ev.exitCode }, 'container exited');
          w.feed({ type: 'stopped', by: 'exit', at: now });
        }
        return;
      case 'stop':
        // The engine also sends `stop` for restarts; only a container that stays down was stopped by someone.
        if (w) void this.inOrder(ev.id, async () => {
          const info = await this.deps.engine.inspect(ev.id);
          if (!info) return this.forget(ev.id);
          w.info = info;
          if (!info.running && !w.state.restartInFlight) {
            w.log.info('container stopped by an operator; it stays stopped');
            w.feed({ type: 'stopped', by: 'operator', at: this.deps.clock.now() });
          }
        });
        return;
      case 'destroy':
        void this.inOrder(ev.id, () => Promise.resolve(this.forget(ev.id)));
        return;
      case 'rename':
        if (w) void this.inOrder(ev.id, () => this.refresh(ev.id));
        return;
      default:
        if (w) w.log.debug({ action: ev.action }, 'container event');
    }
  }

  private readonly effects: WatchEffects = {
    restart: (w, reason) => this.act(w, 'restart', reason),
    stop: (w, reason) => this.act(w, 'stop', reason),
    notify: (w, action) => this.notify(w, action),
  };

  private async act(w: ContainerWatch, kind: 'restart' | 'stop', reason: string): Promise<void> {
    let ok: boolean;
    try {
      ok = await this.restarts.run(async () => {
        // Never act on stale information: look again just before acting.
        const fresh = await this.deps.engine.inspect(w.id);
        if (!fresh) {
          w.log.info({ reason }, `${kind} skipped: container is gone`);
          return false;
        }
        w.info = fresh;
        if (isSelf(fresh.id, this.deps.self)) return false;
        if (!fresh.running || fresh.restarting) {
          w.log.info({ reason, running: fresh.running, restarting: fresh.restarting }, `${kind} skipped: container is not running or the engine is restarting it`);
          return false;
        }
        w.log.warn({ reason, action: kind, timeoutMs: w.policy.restartTimeoutMs }, kind === 'restart' ? 'restarting container' : 'stopping container (quarantine)');
        if (kind === 'restart') await this.deps.engine.restart(w.id, w.policy.restartTimeoutMs);
        else await this.deps.engine.stop(w.id, w.policy.restartTimeoutMs);
        w.log.info({ action: kind }, kind === 'restart' ? 'container restarted' : 'container stopped');
        return true;
      });
    } catch (err) {
      w.log.error({ action: kind, err: (err as Error).message, reason }, `${kind} failed`);
      if (kind === 'restart') w.feed({ type: 'restart_done', ok: false, at: this.deps.clock.now() });
      return;
    }
    if (kind === 'restart') {
      if (ok) w.feed({ type: 'restart_done', ok: true, at: this.deps.clock.now() });
      else {
        // Not restarted because it is not running: clear the in-flight mark without a failure alert.
        const info = w.info;
        w.feed({ type: 'restart_done', ok: true, at: this.deps.clock.now() });
        if (!info.running) w.feed({ type: 'stopped', by: 'exit', at: this.deps.clock.now() });
      }
    }
  }

  private notify(w: ContainerWatch, a: Action): void {
    switch (a.type) {
      case 'notify':
        if (a.event === 'recovered') w.log.info({ event: a.event, recoveryMs: a.recoveryMs }, 'container recovered');
        else w.log.warn({ event: a.event, reason: a.reason }, `container ${a.event.replace('_', ' ')}`);
        return;
      case 'withheld':
        w.log.warn({ would: a.would, why: a.why, reason: a.reason }, `${a.why}: would ${a.would} the container`);
        return;
      case 'restart':
      case 'stop':
        w.log.warn({ decision: a.type, reason: a.reason }, `decided to ${a.type}`);
        return;
    }
  }
}
