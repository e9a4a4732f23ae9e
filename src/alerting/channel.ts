import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { alertToDrop } from './queue-room.ts';
import { ThrottleWindows } from './throttle-windows.ts';
import { DeliveryError, type Alert, type AlertEvent, type Notifier } from './types.ts';

export interface ChannelOptions {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly queue: number;
  /** The same (container, event) is delivered at most once per window; the rest are counted. */
  readonly windowMs: number;
  readonly perMinute: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly random?: () => number;
}

/** What a channel did, for logs now and metrics later. */
export interface ChannelCounters {
  sent: number;
  retried: number;
  failed: number;
  dropped: number;
  suppressed: number;
}

/**
 * One alert channel's delivery: a bounded queue worked by one async loop, so a slow or dead receiver
 * only ever delays its own queue, never probes or restarts. Retries network errors, 5xx and 429 with
 * exponential backoff and jitter (honouring Retry-After), never other 4xx. Everything that is not
 * delivered is counted and logged with the reason.
 */
export class Channel {
  readonly name: string;
  readonly counters: ChannelCounters = { sent: 0, retried: 0, failed: 0, dropped: 0, suppressed: 0 };
  private readonly notifier: Notifier;
  private readonly events: ReadonlySet<AlertEvent> | undefined;
  private readonly opts: ChannelOptions;
  private readonly log: Logger;
  private readonly queue: Alert[] = [];
  private readonly throttle: ThrottleWindows;
  private readonly abort = new AbortController();
  private tokens: number;
  /**
   * Throttle windows and the rate limit are durations, measured on monotonic time as the timers that end
   * them are: on the wall clock, a step back put the bucket into debt for the step (no alert for an hour).
   */
  private refilledAt = performance.now();
  private working: Promise<void> | undefined;
  private idle: (() => void)[] = [];

  constructor(notifier: Notifier, events: readonly AlertEvent[] | undefined, opts: ChannelOptions, log: Logger) {
    this.notifier = notifier;
    this.name = notifier.name;
    this.events = events ? new Set(events) : undefined;
    this.opts = opts;
    this.log = log;
    this.tokens = opts.perMinute;
    this.throttle = new ThrottleWindows(opts.windowMs, (alerts, of) => {
      alerts.forEach((a, i) => this.enqueue(a, of[i]));
    });
  }

  /** Whether its provider keeps conditions open (Alertmanager): it must hear of one a restarted healer still has. */
  get keepsOpen(): boolean {
    return this.notifier.keepsOpen === true;
  }

  accepts(event: AlertEvent): boolean {
    return this.events === undefined || this.events.has(event);
  }

  /** Queues an alert unless the throttle holds it back or the queue is full. Never waits. */
  push(alert: Alert): void {
    if (this.abort.signal.aborted) return this.drop(alert, 'healer is stopping');
    const admitted = this.throttle.admit(alert);
    if (!admitted.deliver) {
      this.notifier.queued?.(alert); // its place in emit order, which its summary takes later
      this.counters.suppressed++;
      this.log.debug({ event: alert.event, container: alert.container?.name, suppressed: admitted.suppressed }, 'alert suppressed by the throttle window');
      return;
    }
    this.enqueue(alert);
  }

  /** Sends now, once, with no queue, throttle or retry: for `healer notify --test`. */
  async sendOnce(alert: Alert): Promise<void> {
    await this.notifier.send(alert, AbortSignal.timeout(this.opts.timeoutMs));
  }

  /**
   * At shutdown: the throttle windows end early, their summaries queued (a flapping container's latest
   * state held back must still go out); waits up to `graceMs` for the queue to drain, then gives up on
   * what is left (counted and logged).
   */
  async flush(graceMs: number): Promise<void> {
    this.throttle.endAll();
    if (this.working) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => this.idle.push(r)), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    this.abort.abort(new Error('healer is stopping'));
    for (const a of this.queue.splice(0)) this.drop(a, 'not delivered before shutdown');
    await this.working;
    this.notifier.close?.();
  }

  /** The container is gone: the provider ends what it still shows open for it. */
  forget(containerId: string): void {
    this.notifier.forget?.(containerId);
  }

  /** An operator stopped the container: the provider ends what it still shows open for it. */
  end(containerId: string): void {
    this.notifier.end?.(containerId);
  }

  /** `of`: the alert a throttle summary (or repeat) stands for. */
  private enqueue(alert: Alert, of?: Alert): void {
    this.notifier.queued?.(alert, of);
    if (this.queue.length >= this.opts.queue) {
      // Full: one container's flood must not crowd out another's alert (queue-room.ts).
      const victim = alertToDrop(this.queue, alert);
      if (victim === undefined) return this.drop(alert, `queue full (${this.opts.queue})`);
      const [gone] = this.queue.splice(victim, 1);
      if (gone) this.drop(gone, `queue full (${this.opts.queue})`, alert);
    }
    this.queue.push(alert);
    this.working ??= this.work().finally(() => {
      this.working = undefined;
      for (const r of this.idle.splice(0)) r();
    });
  }

  private drop(alert: Alert, reason: string, room?: Alert): void {
    this.counters.dropped++;
    const madeRoomFor = room && { madeRoomFor: { event: room.event, container: room.container?.name } };
    this.log.error({ channel: this.name, event: alert.event, container: alert.container?.name, reason, ...madeRoomFor }, 'alert dropped');
    this.notifier.lost?.(alert);
  }

  private async work(): Promise<void> {
    for (let alert = this.queue.shift(); alert; alert = this.queue.shift()) {
      try {
        await this.takeToken();
      } catch {
        return this.drop(alert, 'not delivered before shutdown'); // the rest is dropped by flush()
      }
      if (!(await this.deliver(alert))) return;
    }
  }

  private async takeToken(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.opts.perMinute, this.tokens + ((now - this.refilledAt) / 60_000) * this.opts.perMinute);
      this.refilledAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(((1 - this.tokens) / this.opts.perMinute) * 60_000, undefined, { signal: this.abort.signal });
    }
  }

  /** Delivers with retries; false only when shutdown cut it short (the alert is then counted as dropped). */
  private async deliver(alert: Alert): Promise<boolean> {
    const base = this.opts.retryBaseMs ?? 1000;
    const max = this.opts.retryMaxMs ?? 60_000;
    const random = this.opts.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.notifier.send(alert, AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.abort.signal]));
        this.counters.sent++;
        this.log.debug({ channel: this.name, event: alert.event, attempt }, 'alert delivered');
        return true;
      } catch (err) {
        if (this.abort.signal.aborted) {
          this.drop(alert, 'not delivered before shutdown');
          return false;
        }
        const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, { retryable: false, cause: err });
        if (!e.retryable || attempt >= this.opts.retries) {
          this.counters.failed++;
          const why = e.retryable ? `gave up after ${attempt + 1} attempts` : 'not retried';
          this.log.error({ channel: this.name, event: alert.event, container: alert.container?.name, err: e.message, status: e.status }, `alert delivery failed (${why})`);
          this.notifier.lost?.(alert);
          return true;
        }
        const backoff = Math.min(base * 2 ** attempt, max) * (0.5 + random());
        const delay = e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, 5 * 60_000) : backoff;
        this.counters.retried++;
        this.log.warn({ channel: this.name, event: alert.event, err: e.message, status: e.status, attempt: attempt + 1, retryInMs: Math.round(delay) }, 'alert delivery failed; retrying');
        try {
          await sleep(delay, undefined, { signal: this.abort.signal });
        } catch {
          this.drop(alert, 'not delivered before shutdown');
          return false;
        }
      }
    }
  }
}
