import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.ts';
import type { ProbeRules } from '../config/confine.ts';
import type { Policy } from '../config/policy.ts';
import type { Engine } from '../docker/engine.ts';
import type { ContainerEvent, ContainerInfo } from '../docker/types.ts';
import type { AlertSink } from './actor.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { evaluate, healthcheckProblems } from './discover.ts';
import { EarlyEvents } from './early-events.ts';
import { EngineError } from '../docker/engine-error.ts';
import { InspectRetries, type Unreadable } from './inspect-retry.ts';
import { Limit } from './limit.ts';
import { takeInspect } from './take-inspect.ts';
import { UnpauseHealth } from './unpause-health.ts';
import { persistedEntry, type PersistedContainer, type StateFile } from './state-file.ts';

/** A container healer saw but cannot watch because of its labels. */
export interface LabelProblem {
  readonly id: string;
  readonly name: string;
  readonly errors: readonly string[];
}

/**
 * Inspects at once while discovering (start-up, resync after an outage, bursts of events). The
 * inspect before an action does not queue behind them.
 */
const INSPECT_CONCURRENCY = 8;

/** What discovery needs of the watchdog: the watch registry and how a watch is made and let go. */
export interface DiscoveryHost {
  readonly watches: Map<string, ContainerWatch>;
  readonly problems: Map<string, LabelProblem>;
  readonly stopping: boolean;
  /** Makes and starts a watch; the registry is discovery's to update. */
  create(info: ContainerInfo, policy: Policy, persisted: PersistedContainer | undefined): ContainerWatch;
  /** The watch is gone (container removed, or re-made): close it; `removed` when the container is. */
  release(w: ContainerWatch, removed: boolean): void;
  /** Routes an event held while the container's first inspect was out, now that its watch exists. */
  replay(ev: ContainerEvent): void;
}

export interface DiscoveryDeps {
  readonly engine: Engine;
  readonly loaded: LoadedConfig;
  readonly self: { readonly ids: readonly string[]; readonly hostname: string };
  /** Where label probes may go (the watchdog's, with healer's published ports); from the config alone when not given. */
  readonly rules?: ProbeRules;
  readonly state: StateFile;
  readonly clock: Clock;
  readonly log: Logger;
  /** Ends a container's open alerts when a resync finds it stopped by someone (event-router.ts does it as it happens). */
  readonly alerter?: AlertSink;
}

/**
 * Keeps one watch per opted-in container in line with what the engine has: a full list at start-up and
 * after every reconnect (counting what was missed meanwhile), and one container at a time as events
 * name it. Work for one container runs in arrival order.
 */
export class Discovery {
  private readonly deps: DiscoveryDeps;
  private readonly host: DiscoveryHost;
  private readonly inspects = new Limit(INSPECT_CONCURRENCY);
  private readonly serial = new Map<string, Promise<void>>();
  private readonly early = new EarlyEvents();
  private readonly retries: InspectRetries;
  private synced = false;
  /** A HEALTHCHECK container's health after an unpause, judged by the checks made since (unpause-health.ts). */
  readonly afterUnpause: UnpauseHealth;

  constructor(deps: DiscoveryDeps, host: DiscoveryHost) {
    this.deps = deps;
    this.host = host;
    this.afterUnpause = new UnpauseHealth({
      clock: deps.clock,
      inspect: (id) => deps.engine.inspect(id),
      watch: (id) => (host.stopping ? undefined : host.watches.get(id)),
      inOrder: (id, fn) => this.inOrder(id, fn),
    });
    this.retries = new InspectRetries(deps.clock, deps.log);
  }

  /** Containers whose inspect the engine failed, looked at again with backoff: for the status. */
  unreadable(): Unreadable[] {
    return this.retries.list();
  }

  unreadableCount(): number {
    return this.retries.size;
  }

  /** healer stops: no container is looked at again. */
  stop(): void {
    this.retries.stop();
  }

  /** Lists every container and brings the watches in line with it. */
  async sync(): Promise<void> {
    const ids = new Set(await this.deps.engine.listIds());
    if (!this.synced) {
      // Containers removed while healer was not running leave nothing behind in the state file.
      const dropped = this.deps.state.retain(ids);
      if (dropped > 0) this.deps.log.info({ dropped }, 'forgot the restart history of containers removed while healer was not running');
      this.synced = true;
    }
    // Each in its container's order, where a failure is logged for that container and the rest go on.
    const gone = [...this.host.watches.keys(), ...this.host.problems.keys(), ...this.retries.ids()].filter((id) => !ids.has(id));
    await Promise.all([...gone.map((id) => this.removed(id)), ...[...ids].map((id) => this.inOrder(id, () => this.refresh(id, true)))]);
  }

  /** Looks at one container again (it started, was renamed): in order with its other work. */
  later(id: string): void {
    void this.inOrder(id, () => this.refresh(id));
  }

  /**
   * Reads Docker's health of a HEALTHCHECK container again after its unpause at `unpausedAt` (engine
   * time): the engine reports health only on a change, so a verdict that stayed `unhealthy` through a
   * pause would never come again; and one the pause itself caused (the engine's checks are refused while
   * it is paused) counts only once checks made since the unpause confirm it (unpause-health.ts).
   */
  health(id: string, unpausedAt: number): void {
    const w = this.host.watches.get(id);
    if (w && w.policy.liveness?.spec.kind === 'docker') this.afterUnpause.unpaused(w, unpausedAt);
  }

  /**
   * An event of a container with no watch: kept while its first inspect is out (early-events.ts), for
   * the watch that inspect makes; otherwise only a rename matters (below).
   */
  unwatched(ev: ContainerEvent): void {
    const inspecting = this.serial.has(ev.id) && !this.host.watches.has(ev.id);
    if (inspecting) this.early.hold(ev);
    // One listed with a label error is listed (status, page, healer_config_errors) and logged under its
    // new name: Compose v2 creates a re-created service's container as `<hash>_web` and renames it after.
    // Also while its first inspect is out: that answer may predate the rename.
    if (ev.action === 'rename' && (inspecting || this.host.problems.has(ev.id))) this.later(ev.id);
  }

  /** The container was removed. */
  removed(id: string): Promise<void> {
    return this.inOrder(id, () => Promise.resolve(this.forget(id)));
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

  /**
   * Inspects a container and creates, keeps or drops its watch; on resync, takes in what it missed. A
   * watch it makes is then given the events held meanwhile that its inspect data does not show.
   */
  private async refresh(id: string, resync = false): Promise<void> {
    try {
      await this.look(id, resync);
      this.retries.ended(id);
    } catch (err) {
      if (!(err instanceof EngineError) || this.host.stopping) throw err;
      // The engine failed the inspect (a 500, a timeout): looked at again until it answers or says gone.
      this.retries.failed(id, err.message, () => void this.inOrder(id, () => this.refresh(id, resync)));
    } finally {
      for (const ev of this.early.take(id, this.host.watches.get(id)?.info)) this.host.replay(ev);
    }
  }

  private async look(id: string, resync: boolean): Promise<void> {
    if (this.host.stopping) return;
    // A SIGTERM while hundreds of inspects wait for a slot: the ones not yet sent are not sent.
    const info = await this.inspects.run(() => (this.host.stopping ? Promise.resolve(null) : this.deps.engine.inspect(id)));
    if (info === null || this.host.stopping) return;
    if (!info) return this.forget(id);
    const existing = this.host.watches.get(id);
    if (existing?.error && info.running) {
      // A parked watch is made anew once the container runs again.
      this.host.watches.delete(id);
      this.host.release(existing, false);
    } else if (existing) {
      takeInspect(existing, info, resync, { clock: this.deps.clock, alerter: this.deps.alerter, afterUnpause: this.afterUnpause, persist: (w) => this.persist(w) });
      return;
    }
    // Its labels cannot change (a new container has a new id): looked at again on a resync (the rules may
    // have), or once renamed (its errors name it), never on each start of a crash-looping one.
    if (this.host.problems.get(id)?.name === info.name && !resync) return;
    this.host.problems.delete(id);
    this.consider(info);
  }

  private consider(info: ContainerInfo): void {
    const verdict = evaluate(info, this.deps.loaded, this.deps.self, this.deps.rules);
    if (verdict.kind === 'ignore') return;
    if (verdict.kind === 'problem') {
      this.host.problems.set(info.id, { id: info.id, name: info.name, errors: verdict.errors });
      for (const e of verdict.errors) this.deps.log.error({ container: info.name, id: info.id.slice(0, 12) }, `${e}; this container is not watched`);
      return;
    }
    const persisted = this.deps.state.get(info.id);
    const watch = this.host.create(info, verdict.policy, persisted);
    this.host.watches.set(info.id, watch);
    for (const p of healthcheckProblems(info, verdict.policy)) watch.log.warn(p);
    const missed = persisted ? info.restartCount - persisted.restartCount : 0;
    if (missed > 0) watch.feed({ type: 'engine_restarts', count: missed, at: this.deps.clock.now() });
    watch.start();
    this.persist(watch);
  }

  /** The container is gone: its watch, label problem and restart history go with it. */
  forget(id: string): void {
    this.afterUnpause.forget(id);
    this.retries.ended(id, true);
    const w = this.host.watches.get(id);
    this.host.watches.delete(id);
    this.host.problems.delete(id);
    if (w) {
      w.log.info('container removed; no longer watched');
      this.deps.state.delete(id);
      this.host.release(w, true);
    }
  }

  persist(w: ContainerWatch): void {
    this.deps.state.set(w.id, persistedEntry(w));
  }
}
