/**
 * How many alerts may read their container's log lines from the engine at once. Each alert reads them
 * (GET /containers/{id}/logs), and alerts are built on one chain per container: in a host-wide outage
 * (200 containers failing together, the mass-failure breaker's case) that would be 200 reads at once
 * against the engine socket, each holding a response in memory, when the engine is least able to
 * answer. The rest wait their turn in the order they came.
 */
export const LOG_READS = 4;

/**
 * How long an alert waits for its turn to read log lines (from when it was emitted): after this it is
 * sent without them, saying why, so a storm of alerts never delays an alert by more than this plus the
 * read's own bound (Engine READ_MS), and never drops one.
 */
export const LOG_WAIT_MS = 10_000;

/** A queue of readers, at most `max` at once, first come first served, each waiting at most until its deadline. */
export class LogReads {
  private active = 0;
  private readonly waiting: { readonly go: () => void }[] = [];
  private readonly max: number;
  private readonly waitMs: number;

  constructor(max = LOG_READS, waitMs = LOG_WAIT_MS) {
    this.max = max;
    this.waitMs = waitMs;
  }

  /** Reads now in progress (never above max). */
  get inUse(): number {
    return this.active;
  }

  /** Alerts waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `read` when a turn comes, at most `waitMs` after `since` (when the alert was emitted); undefined
   * (and `read` not called) when no turn came by then, or `stop` (shutdown) came first.
   */
  async run<T>(since: number, read: () => Promise<T>, stop?: AbortSignal): Promise<{ value: T } | undefined> {
    if (stop?.aborted) return undefined;
    if (this.active < this.max) this.active++;
    else if (!(await this.turn(since, stop))) return undefined;
    try {
      return { value: await read() };
    } finally {
      const next = this.waiting.shift();
      // The turn passes straight on (active stays): no newcomer can slip in between.
      if (next) next.go();
      else this.active--;
    }
  }

  /** Waits for a reader to hand its turn on; false when the deadline or `stop` came first (and leaves the queue). */
  private turn(since: number, stop: AbortSignal | undefined): Promise<boolean> {
    const left = since + this.waitMs - Date.now();
    if (left <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const leave = () => {
        clearTimeout(timer);
        stop?.removeEventListener('abort', leave);
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      const entry = {
        go: () => {
          clearTimeout(timer);
          stop?.removeEventListener('abort', leave);
          resolve(true);
        },
      };
      const timer = setTimeout(leave, left);
      stop?.addEventListener('abort', leave, { once: true });
      this.waiting.push(entry);
    });
  }
}

/** `work`'s value, or undefined as soon as `stop` fires (the work itself runs on to its own bound). */
export function untilStopped<T>(work: Promise<T>, stop: AbortSignal): Promise<T | undefined> {
  if (stop.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onStop = () => resolve(undefined);
    stop.addEventListener('abort', onStop, { once: true });
    work.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
  });
}
