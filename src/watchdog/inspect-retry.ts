import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { isoTime } from '../iso-time.ts';

/** The first look again at a container whose inspect failed; doubling from there. */
export const INSPECT_RETRY_FIRST_MS = 1000;
/** The longest wait between two looks; they go on at this pace while the container exists. */
export const INSPECT_RETRY_MAX_MS = 30_000;

/** A container healer could not inspect (so cannot tell whether it opts in): what the status shows. */
export interface Unreadable {
  readonly id: string;
  /** The engine's error at the last attempt (HTTP 500, a timeout). */
  readonly error: string;
  /** When its inspect first failed, and when it is looked at again (ISO 8601). */
  readonly since: string;
  readonly retryAt: string;
  readonly attempts: number;
}

interface Entry {
  readonly since: number;
  readonly attempts: number;
  readonly error: string;
  readonly retryAt: number;
  readonly timer: object;
}

/**
 * Containers whose inspect the engine failed (a busy or restarting daemon, a socket proxy's hiccup, a
 * timeout on a loaded host), looked at again with backoff until the engine answers or says the container
 * is gone (404). Without it one refused inspect left a container unwatched until its next event: never
 * probed, its failures never healed, and shown nowhere.
 */
export class InspectRetries {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(clock: Clock, log: Logger) {
    this.clock = clock;
    this.log = log;
  }

  /** The inspect of `id` failed: `again` is run after the backoff (which replaces any retry already set). */
  failed(id: string, error: string, again: () => void): void {
    const prev = this.entries.get(id);
    if (prev) this.clock.clearTimeout(prev.timer);
    const attempts = (prev?.attempts ?? 0) + 1;
    const delay = Math.min(INSPECT_RETRY_MAX_MS, INSPECT_RETRY_FIRST_MS * 2 ** Math.min(30, attempts - 1));
    const now = this.clock.now();
    const timer = this.clock.setTimeout(again, delay);
    // Waiting to look again keeps no process alive that is stopping.
    timer.unref?.();
    this.entries.set(id, { since: prev?.since ?? now, attempts, error, retryAt: now + delay, timer });
    this.log.warn({ id: id.slice(0, 12), err: error, attempts, retryInMs: delay }, 'could not inspect the container; it is looked at again after a backoff, and shown in the status meanwhile');
  }

  /** The engine answered for it, or it is gone: no more retries. */
  ended(id: string, gone = false): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.clock.clearTimeout(e.timer);
    this.entries.delete(id);
    this.log.info({ id: id.slice(0, 12), attempts: e.attempts }, gone ? 'the container whose inspect failed is gone; no longer looked at' : 'the engine answers the inspect of the container again');
  }

  /** Healer stops: every retry is dropped. */
  stop(): void {
    for (const e of this.entries.values()) this.clock.clearTimeout(e.timer);
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  list(): Unreadable[] {
    return [...this.entries].map(([id, e]) => ({ id, error: e.error, since: isoTime(e.since), retryAt: isoTime(e.retryAt), attempts: e.attempts }));
  }
}
