/**
 * Wrong tokens per client address (SECURITY.md: anyone who can reach the listener is untrusted): past
 * `limit` wrong tokens (a bearer header or a login) within `windowMs`, that address is answered 429 on
 * everything that needs the token until its window ends, so a token cannot be guessed at network speed.
 * Requests that present no token are not counted (a scraper set up without one only gets its 401s).
 * Memory is bounded: at most `maxClients` addresses are remembered, the oldest forgotten first.
 */
export class WrongTokenThrottle {
  private readonly clients = new Map<string, { since: number; wrong: number }>();

  private readonly now: () => number;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxClients: number;

  constructor(now: () => number, limits: { limit?: number; windowMs?: number; maxClients?: number } = {}) {
    this.now = now;
    this.limit = limits.limit ?? 10;
    this.windowMs = limits.windowMs ?? 60_000;
    this.maxClients = limits.maxClients ?? 1_000;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const c = this.clients.get(address);
    if (!c || c.wrong < this.limit) return 0;
    return Math.max(0, c.since + this.windowMs - this.now());
  }

  /** One wrong token from `address`. */
  wrong(address: string): void {
    const now = this.now();
    const c = this.clients.get(address);
    if (c && now - c.since < this.windowMs) {
      c.wrong++;
      return;
    }
    this.clients.delete(address);
    this.clients.set(address, { since: now, wrong: 1 });
    // Insertion order is the order windows began: the first entries are the oldest.
    for (const oldest of this.clients.keys()) {
      if (this.clients.size <= this.maxClients) break;
      this.clients.delete(oldest);
    }
  }
}
