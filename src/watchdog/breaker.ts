import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { AlertSink } from './actor.ts';
import { hostAlert } from './alert-input.ts';
import { type Clock, monotonic } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { breakerOpen } from './guards.ts';
import type { HistorySink } from './history.ts';
import type { Context } from './machine-types.ts';
import type { StateFile } from './state-file.ts';

/** How often the breaker and the held restarts are looked at again without a change to prompt it. */
const REASSESS_MS = 30_000;

export interface BreakerDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly alerter: AlertSink;
  readonly history: HistorySink;
  readonly guards: Config['guards']['mass_failure'];
  readonly watches: () => Iterable<ContainerWatch>;
  /** The hold and breaker state a watch decides with. */
  readonly context: (w: ContainerWatch) => Context;
  /** Where the breaker's open `paused` is kept across healer's restarts (the state file). */
  readonly kept?: Pick<StateFile, 'breaker' | 'setBreaker'> | undefined;
}

/**
 * The mass-failure breaker: while too many containers healer would restart fail at once, no restarts
 * (a host-wide failure is not fixed by restarting everything). Reassessed when a container's failing
 * status flips and every 30 s; held or paused restarts are let go when it closes.
 *
 * Its open `paused` is kept across healer's own restarts (the state file), as a container's open alert
 * is: a healer restarted mid-outage starts with restarts paused (not restarting everything that still
 * fails before its first look), judges the breaker once it has found every container (synced), and then
 * either tells the pause again to channels that keep conditions open (since it began) or sends the
 * `resumed` that ends it.
 */
export class Breaker {
  /** Restarts are paused. */
  open = false;
  private readonly deps: BreakerDeps;
  private timer: object | undefined;
  /** The one-off timer that ends a kept breaker's hold (synced). */
  private holdTimer: object | undefined;
  private reassessing = false;
  private stopped = false;
  /** Kept open by the state file and not confirmed yet: held open until every container was found (synced). */
  private keptSince: number | undefined;
  /**
   * After synced: a kept breaker found closed stays open until then (the containers' probes need time
   * to say they fail). On monotonic time: a wall clock stepped back within the hold (chrony's makestep
   * right after a reboot, when healer restarts too) would keep restarts paused for the step's length.
   */
  private keptUntil: number | undefined;

  constructor(deps: BreakerDeps) {
    this.deps = deps;
    const since = deps.kept?.breaker;
    if (since !== undefined) {
      this.open = true;
      // (A file written on a clock ahead: since now.)
      this.keptSince = Math.min(since, deps.clock.now());
    }
  }

  /**
   * Discovery has found every container: a breaker kept open is judged from now on, with all of them.
   * Found open (now, or as their probes fail again), it is told again to channels that keep conditions
   * open only; found closed, it stays open one reassessment period (REASSESS_MS) first, since failures
   * counted below a container's threshold were not kept and its first probes have not run yet; then
   * `resumed` ends it.
   */
  synced(): void {
    if (this.keptSince === undefined || this.keptUntil !== undefined) return;
    if (this.stopped) return;
    this.keptUntil = monotonic(this.deps.clock) + REASSESS_MS;
    const t = this.deps.clock.setTimeout(() => {
      this.holdTimer = undefined;
      this.reassess();
    }, REASSESS_MS + 1);
    t.unref?.();
    this.holdTimer = t;
    this.reassess();
  }

  /** A kept breaker: whether to judge it now (confirmed open, told again; or its hold over). */
  private judgeKept(open: boolean): boolean {
    const since = this.keptSince;
    if (since === undefined) return true;
    if (this.keptUntil === undefined || (!open && monotonic(this.deps.clock) < this.keptUntil)) return false;
    this.keptSince = undefined;
    if (open) {
      this.deps.log.error({ event: 'paused', since: new Date(since).toISOString() }, 'restarts still paused: too many containers failing at once, as before healer restarted');
      this.deps.alerter.emit({ ...hostAlert('paused', `${this.why()}, paused before healer restarted`), reopened: { at: since } });
    }
    return true;
  }

  start(): void {
    if (this.stopped) return;
    const timer = this.deps.clock.setTimeout(() => {
      this.reassess();
      this.start();
    }, REASSESS_MS);
    timer.unref?.();
    this.timer = timer;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    if (this.holdTimer) this.deps.clock.clearTimeout(this.holdTimer);
    this.timer = this.holdTimer = undefined;
  }

  /** Re-evaluates the breaker, and lets held or paused containers decide again. */
  reassess(): void {
    // (Stopped: healer is shutting down; a `resumed` now would be told by a healer that no longer acts.)
    if (this.reassessing || this.stopped) return;
    this.reassessing = true;
    try {
      const all = this.candidates();
      const failing = this.failing().length;
      const { fraction, min_containers } = this.deps.guards;
      const open = breakerOpen(failing, all.length, { fraction, minContainers: min_containers });
      if (!this.judgeKept(open)) return;
      if (open !== this.open) {
        this.open = open;
        this.deps.kept?.setBreaker(open ? this.deps.clock.now() : undefined);
        const why = this.why(failing, all.length);
        if (open) this.deps.log.error({ event: 'paused', failing, watched: all.length, fraction }, 'restarts paused: too many containers failing at once');
        else this.deps.log.warn({ event: 'resumed', failing, watched: all.length, fraction }, 'restarts resumed');
        this.deps.alerter.emit(hostAlert(open ? 'paused' : 'resumed', why));
        this.deps.history.transition({ at: this.deps.clock.now(), container: '', event: open ? 'paused' : 'resumed', reason: why });
      }
      // A held or paused restart is taken again on the container's next failed probe (it may recover
      // with the rest); those with no probe to tell (Docker health, on-exit starts) are woken here.
      const now = this.deps.clock.now();
      for (const w of all) {
        if (!w.state.pending || w.confirmsByProbe) continue;
        const ctx = this.deps.context(w);
        if (!ctx.paused && ctx.heldBy === undefined) w.feed({ type: 'tick', at: now });
      }
    } finally {
      this.reassessing = false;
    }
  }

  /** The breaker guards restarts: containers healer never restarts (action notify) are not counted. */
  private candidates(): ContainerWatch[] {
    return [...this.deps.watches()].filter((w) => w.policy.action !== 'notify');
  }

  /**
   * A container failing only by the `unhealthy` the state file kept, not yet probed by this healer, is
   * not counted: its outage may have ended while no healer ran, and a kept breaker found over must only
   * be resolved, never fired first (nor a new one opened on old news). Its first failed probe counts it.
   */
  private failing(): ContainerWatch[] {
    return this.candidates().filter((w) => w.failing && w.failingUnseen !== true);
  }

  private why(failing = this.failing().length, watched = this.candidates().length): string {
    return `${failing} of ${watched} watched containers failing (pause above ${this.deps.guards.fraction * 100}%)`;
  }
}
