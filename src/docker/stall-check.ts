import type { Logger } from 'pino';
import type { Timers } from './event-normaliser.ts';
import type { ListedContainer } from './list-states.ts';
import { STALL_GRACE_MS, StreamAudit, type Missed } from './stream-audit.ts';
import type { ContainerEvent } from './types.ts';

/**
 * Lists failed in a row before a warning: one failure is a hiccup the next interval retries (debug), but
 * an engine that never answers the list in time (READ_MS, e.g. a huge or overloaded host) would otherwise
 * leave the check off for good with nothing above debug to say so.
 */
export const FAILED_LISTS_WARN = 3;

/** How often the list is read, and which containers (labels `key` or `key=value`, all required; none: every container). */
export interface StallOptions {
  readonly intervalMs: number;
  readonly labels: readonly string[];
  /** The clock the grace is measured on (ms); a monotonic one by default. */
  readonly now?: (() => number) | undefined;
}

/**
 * Reads the container list every `intervalMs` while the stream is connected (and once as it connects, to
 * start from), and tells `stalled` what the list shows that no event told (stream-audit.ts). One call
 * per interval, whatever the number of containers; a suspicion is looked at again after the grace rather
 * than a full interval later. A list the engine fails is no verdict: the next interval tries again.
 */
export class StallCheck {
  private readonly audit = new StreamAudit();
  private timer: unknown;
  /** Bumped on every (re)connect and disconnect: a list answered for an older stream is not read. */
  private epoch = 0;
  /** Lists failed since the last one answered; the warning is given once per such run. */
  private failed = 0;
  private readonly list: (labels: readonly string[]) => Promise<ListedContainer[]>;
  private readonly opts: StallOptions;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly stalled: (missed: Missed[]) => void;

  constructor(deps: { list: (labels: readonly string[]) => Promise<ListedContainer[]>; opts: StallOptions; timers: Timers; log: Logger; stalled: (missed: Missed[]) => void }) {
    this.list = deps.list;
    this.opts = deps.opts;
    this.timers = deps.timers;
    this.now = deps.opts.now ?? (() => performance.now());
    this.log = deps.log;
    this.stalled = deps.stalled;
  }

  /** The stream is open (again) and the receiver has resynchronised: checked from a fresh list. */
  connected(): void {
    this.stop();
    this.audit.reset();
    this.arm(0);
  }

  /** An event the stream delivered. */
  event(ev: ContainerEvent): void {
    this.audit.event(ev, this.now());
  }

  /** The stream is down (or healer stops): nothing to check until it connects again. */
  stop(): void {
    this.epoch++;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    const epoch = this.epoch;
    const timer = this.timers.set(() => void this.round(epoch), ms);
    (timer as { unref?: () => void }).unref?.();
    this.timer = timer;
  }

  private async round(epoch: number): Promise<void> {
    this.timer = undefined;
    const askedAt = this.now();
    let missed: Missed[];
    try {
      const listed = await this.list(this.opts.labels);
      if (epoch !== this.epoch) return;
      missed = this.audit.list(listed, askedAt, this.now());
      this.failed = 0;
    } catch (err) {
      if (epoch !== this.epoch) return;
      const fields = { err: (err as Error).message, failedInARow: ++this.failed };
      if (this.failed === FAILED_LISTS_WARN) this.log.warn(fields, 'the event stream check cannot list containers, so a stalled event stream goes unnoticed until a list answers again; trying again every interval');
      else this.log.debug(fields, 'the event stream check could not list containers; trying again at the next interval');
      return this.arm(this.opts.intervalMs);
    }
    if (missed.length > 0) return this.stalled(missed);
    this.arm(this.audit.suspicious ? Math.min(STALL_GRACE_MS, this.opts.intervalMs) : this.opts.intervalMs);
  }
}
