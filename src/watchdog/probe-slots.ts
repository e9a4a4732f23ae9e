import type { Logger } from 'pino';
import type { ProbePolicy } from '../config/policy.ts';
import { monotonic, type Clock } from './clock.ts';
import type { Role } from './machine-types.ts';
import { nextRun } from './schedule.ts';
import { timerAt } from './timer-limit.ts';
import type { Observer } from './watch-types.ts';

/** One probe role's timer, planned time, due time (monotonic), run in flight and abort controller. */
export interface ProbeSlot {
  timer?: object | undefined;
  planned?: number | undefined;
  due?: number | undefined;
  run?: Promise<void> | undefined;
  ctl?: AbortController | undefined;
}

/** What the slots ask of their watch: whether a probe may run now, how to run one, and its error guard. */
export interface SlotHost {
  /** The container runs and no action of healer's is in flight. */
  readonly mayProbe: () => boolean;
  readonly probe: (role: Role, p: ProbePolicy, slot: ProbeSlot) => Promise<void>;
  readonly guard: (fn: () => void) => void;
  readonly park: (err: unknown) => void;
  readonly log: () => Logger;
}

/**
 * A watch's probe schedules (liveness and readiness), kept apart from what a probe's result does: each
 * role runs on its own timer, one run at a time, and the drift of each run against its plan is measured.
 */
export class ProbeSlots {
  /**
   * Per probe role: its timer, planned time, due time (monotonic), run in flight and abort controller.
   * Plain fields, set and cleared in place: Map/Set churn at every probe left garbage until the next one.
   */
  private readonly slots: Record<Role, ProbeSlot> = { liveness: {}, readiness: {} };
  private stopped = false;
  private readonly clock: Clock;
  private readonly observer: Pick<Observer, 'drift'>;
  private readonly host: SlotHost;

  constructor(clock: Clock, observer: Pick<Observer, 'drift'>, host: SlotHost) {
    this.clock = clock;
    this.observer = observer;
    this.host = host;
  }

  /**
   * How long the most overdue probe timer is past its due time, on monotonic time (0 when all are on
   * time). A schedule that stops firing is a dead loop: /healthz reports it; a wall-clock step is not one.
   */
  overdueMs(mono: number): number {
    let worst = 0;
    for (const slot of [this.slots.liveness, this.slots.readiness]) if (slot.due !== undefined) worst = Math.max(worst, mono - slot.due);
    return this.stopped ? 0 : worst;
  }

  /** Stops scheduling, aborts the probes in flight and gives their runs to wait for. */
  stop(): Array<Promise<void> | undefined> {
    this.stopped = true;
    for (const slot of [this.slots.liveness, this.slots.readiness]) {
      if (slot.timer) this.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    for (const slot of [this.slots.liveness, this.slots.readiness]) slot.ctl?.abort(new Error('healer is stopping'));
    return [this.slots.liveness.run, this.slots.readiness.run];
  }

  schedule(role: Role, p: ProbePolicy): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const slot = this.slots[role];
    const at = nextRun(p, now, slot.planned);
    const due = monotonic(this.clock) + Math.max(0, at - now);
    slot.planned = at;
    slot.due = due;
    // (A cron schedule's next run can lie past Node's timer limit: a yearly one. Never probed early.)
    timerAt(this.clock, at, () => {
      slot.timer = undefined;
      this.host.guard(() => {
        this.observer.drift(Math.max(0, monotonic(this.clock) - due) / 1000);
        this.tick(role, p);
        this.schedule(role, p);
      });
    }, (t) => (slot.timer = t));
  }

  private tick(role: Role, p: ProbePolicy): void {
    if (!this.host.mayProbe()) return;
    const slot = this.slots[role];
    if (slot.run) {
      this.host.log().debug({ probe: role }, 'previous probe still running; skipped this tick');
      return;
    }
    slot.run = this.host.probe(role, p, slot)
      .catch((err: unknown) => this.host.park(err))
      .finally(() => (slot.run = undefined));
  }
}
