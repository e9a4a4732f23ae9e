import type { ContainerInfo } from '../docker/types.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';

/** Past the last check that can count: the engine's health event or inspect a little after it. */
const MARGIN_MS = 5_000;
/** How often the engine's health is read while waiting: each interval, but not more often than this. */
const MIN_POLL_MS = 1_000;

/**
 * Docker's verdict on a HEALTHCHECK container read after an unpause, counting only the checks made
 * since (`unpausedAt`, engine time): the engine goes on running checks while a container is paused,
 * each refused and counted as failed, so an `unhealthy` can be the pause's alone. `unhealthy` once
 * `retries` checks made since the unpause failed in a row (as a container never paused is judged),
 * `healthy` once the last one passed, undefined while that cannot be told yet.
 */
export function sinceUnpause(info: ContainerInfo, unpausedAt: number): 'healthy' | 'unhealthy' | undefined {
  const runs = (info.healthLog ?? []).filter((r) => r.start >= unpausedAt);
  const last = runs.at(-1);
  if (last === undefined) return undefined;
  if (last.ok) return 'healthy';
  let failed = 0;
  for (let i = runs.length - 1; i >= 0 && runs[i]?.ok === false; i--) failed++;
  return failed >= (info.healthcheck?.retries ?? 3) ? 'unhealthy' : undefined;
}

/** How long after an unpause a verdict of checks made since must be in: `retries` intervals and a timeout. */
export function settleMs(info: ContainerInfo): number {
  const hc = info.healthcheck ?? { intervalMs: 30_000, timeoutMs: 30_000, retries: 3 };
  return hc.retries * hc.intervalMs + hc.timeoutMs + MARGIN_MS;
}

interface Settling {
  readonly w: ContainerWatch;
  /** Engine time of the unpause. */
  readonly unpausedAt: number;
  /** healer time after which the engine's status is judged as it stands. */
  readonly until: number;
  /**
   * It was unhealthy before the pause already (healer's last verdict): an `unhealthy` at the unpause is
   * not the pause's, and is acted on at once, as before the pause.
   */
  readonly downBefore: boolean;
  timer: object | undefined;
}

export interface UnpauseHealthDeps {
  readonly clock: Clock;
  readonly inspect: (id: string) => Promise<ContainerInfo | undefined>;
  readonly watch: (id: string) => ContainerWatch | undefined;
  /** Runs per-container work in order with the rest of discovery's (discovery.ts). */
  readonly inOrder: (id: string, fn: () => Promise<void>) => Promise<void>;
}

/**
 * After an unpause, keeps a HEALTHCHECK container's `unhealthy` from being acted on until checks made
 * since the unpause say so (README: a pause carries no failures over to the unpause). While one settles,
 * an `unhealthy` event is the pause's until the engine's log of checks shows `retries` failures since
 * the unpause; at the end of the wait (`settleMs`), the status is judged as it stands, as checks made
 * since must have run by then.
 */
export class UnpauseHealth {
  private readonly settling = new Map<string, Settling>();
  private readonly deps: UnpauseHealthDeps;

  constructor(deps: UnpauseHealthDeps) {
    this.deps = deps;
  }

  /** The container was unpaused at `unpausedAt` (engine time): its health is read and judged afresh. */
  unpaused(w: ContainerWatch, unpausedAt: number): void {
    this.forget(w.id);
    const s: Settling = { w, unpausedAt, until: this.deps.clock.now() + settleMs(w.info), downBefore: w.state.liveness.up === false, timer: undefined };
    this.settling.set(w.id, s);
    void this.deps.inOrder(w.id, () => this.look(s, true));
  }

  /**
   * A health_status event: true when it is taken here (an `unhealthy` while the unpause settles, judged
   * by the checks made since), false to feed it as usual. A `healthy` ends the wait: only a check made
   * since the unpause can pass, and the run of failures is over.
   */
  event(id: string, status: string): boolean {
    const s = this.settling.get(id);
    if (s === undefined) return false;
    if (status === 'healthy' || s.downBefore || this.deps.clock.now() > s.until) {
      this.forget(id);
      return false;
    }
    if (status !== 'unhealthy') return false;
    if (s.timer === undefined) {
      s.w.log.info('health check failing since the unpause; waiting for the checks made since to say it is unhealthy');
      this.arm(s, s.w.info.healthcheck?.intervalMs ?? 30_000);
    }
    return true;
  }

  /** The watch is gone, or healer stops: its wait ends with nothing done. */
  forget(id: string): void {
    const s = this.settling.get(id);
    if (s?.timer !== undefined) this.deps.clock.clearTimeout(s.timer);
    this.settling.delete(id);
  }

  /** Every wait ends (healer stops). */
  close(): void {
    for (const id of [...this.settling.keys()]) this.forget(id);
  }

  private arm(s: Settling, ms: number): void {
    const left = Math.max(0, s.until - this.deps.clock.now());
    const timer = this.deps.clock.setTimeout(() => {
      s.timer = undefined;
      void this.deps.inOrder(s.w.id, () => this.look(s, false));
    }, Math.max(MIN_POLL_MS, Math.min(ms, left)));
    timer.unref?.();
    s.timer = timer;
  }

  /** Reads the health and feeds a verdict of checks made since the unpause, or waits on. */
  private async look(s: Settling, first: boolean): Promise<void> {
    if (this.settling.get(s.w.id) !== s || this.deps.watch(s.w.id) !== s.w) return this.forget(s.w.id);
    const info = await this.deps.inspect(s.w.id);
    // Gone, stopped or paused again meanwhile (a new unpause starts a new wait): nothing to judge.
    if (this.settling.get(s.w.id) !== s || !info || !info.running || info.paused || this.deps.watch(s.w.id) !== s.w) return this.forget(s.w.id);
    s.w.info = info;
    const now = this.deps.clock.now();
    if (info.health === 'healthy') {
      // At the unpause: a run of refused checks below `retries` may still be counted by the engine, so
      // an `unhealthy` that follows is judged here too, until the wait is over.
      if (!first) this.forget(s.w.id);
      return s.w.feed({ type: 'health', status: 'healthy', at: now });
    }
    if (info.health !== 'unhealthy') return first ? undefined : this.forget(s.w.id);
    if (s.downBefore) {
      this.forget(s.w.id);
      return s.w.feed({ type: 'health', status: 'unhealthy', at: now });
    }
    const verdict = sinceUnpause(info, s.unpausedAt);
    const over = now >= s.until;
    if (verdict === undefined && !over) {
      if (first) s.w.log.info({ waitS: Math.round((s.until - now) / 1000) }, 'unhealthy at the unpause, which the pause may have caused (its health checks are refused while paused): waiting for checks made since the unpause');
      return this.arm(s, first ? (info.healthcheck?.intervalMs ?? 30_000) + MIN_POLL_MS : (info.healthcheck?.intervalMs ?? 30_000));
    }
    this.forget(s.w.id);
    if (verdict === undefined && info.healthLog !== undefined && !info.healthLog.some((r) => r.start >= s.unpausedAt)) {
      // The engine logs checks, and none ran since the unpause: the `unhealthy` is still the pause's.
      s.w.log.warn({ waitedS: Math.round((settleMs(info)) / 1000) }, 'still unhealthy after an unpause, but no health check has run since it: not acted on (the verdict may be the pause\'s); the next health event is followed');
      return;
    }
    s.w.feed({ type: 'health', status: 'unhealthy', at: now });
  }
}
