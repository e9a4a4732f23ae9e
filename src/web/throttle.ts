import { isIP } from 'node:net';

/**
 * The key a client's wrong tokens are counted under: its IPv4 address (an IPv4-mapped IPv6 one as the
 * IPv4 address it is), or the /64 of an IPv6 address, since one host or site is given a whole /64 and
 * would otherwise have 2^64 fresh addresses to guess from.
 */
export function clientKey(address: string): string {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(plain) !== 6) return plain;
  const [head = '', tail = ''] = (plain.split('%')[0] ?? '').split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) is two groups; only the first four groups matter here.
  const size = (g: string[]): number => g.reduce((n, x) => n + (x.includes('.') ? 2 : 1), 0);
  const groups = plain.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - size(left) - size(right))).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

interface Window {
  since: number;
  wrong: number;
}

/**
 * Wrong tokens (a bearer header or a login; SECURITY.md: anyone who can reach the listener is untrusted),
 * so a token cannot be guessed at network speed:
 * - per client key (clientKey: an address, an IPv6 /64): past `limit` within `windowMs` that key is
 *   answered 429 on everything that needs the token until its window ends;
 * - from everyone together: past `globalLimit` within `windowMs` every key is answered 429 until that
 *   window ends, so many addresses do not make many guessers, except a request that presents the right
 *   token itself (`rightToken`: Prometheus' scrape, also its first one after a healer restart, when no
 *   memory of it is left) and keys that presented it within `trustMs` (a logged-in operator's next
 *   login): they keep their own per-key limit only, so guessers from other addresses cannot shut healer's
 *   scrapes out.
 * Requests that present no token are not counted (a scraper set up without one only gets its 401s).
 * Memory is bounded: at most `maxClients` keys of each kind are remembered, the oldest forgotten first.
 */
export class WrongTokenThrottle {
  private readonly clients = new Map<string, Window>();
  private readonly trusted = new Map<string, number>();
  private global: Window = { since: -Infinity, wrong: 0 };

  private readonly now: () => number;
  private readonly limit: number;
  private readonly globalLimit: number;
  private readonly windowMs: number;
  private readonly trustMs: number;
  private readonly maxClients: number;

  constructor(now: () => number, limits: { limit?: number; globalLimit?: number; windowMs?: number; trustMs?: number; maxClients?: number } = {}) {
    this.now = now;
    this.limit = limits.limit ?? 10;
    this.globalLimit = limits.globalLimit ?? 100;
    this.windowMs = limits.windowMs ?? 60_000;
    this.trustMs = limits.trustMs ?? 3_600_000;
    this.maxClients = limits.maxClients ?? 1_000;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. `rightToken`: this request has it. */
  retryAfterMs(address: string, rightToken = false): number {
    const key = clientKey(address);
    const now = this.now();
    const c = this.clients.get(key);
    const own = c && c.wrong >= this.limit ? c.since + this.windowMs - now : 0;
    const trusted = rightToken || now - (this.trusted.get(key) ?? -Infinity) < this.trustMs;
    const all = !trusted && this.global.wrong >= this.globalLimit ? this.global.since + this.windowMs - now : 0;
    return Math.max(0, own, all);
  }

  /** One wrong token from `address`. */
  wrong(address: string): void {
    const now = this.now();
    if (now - this.global.since < this.windowMs) this.global.wrong++;
    else this.global = { since: now, wrong: 1 };
    const key = clientKey(address);
    const c = this.clients.get(key);
    if (c && now - c.since < this.windowMs) {
      c.wrong++;
      return;
    }
    this.remember(this.clients, key, { since: now, wrong: 1 });
  }

  /** The right token (or a valid session) from `address`: it is not shut out by others' guesses. */
  right(address: string): void {
    this.remember(this.trusted, clientKey(address), this.now());
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    // Insertion order is the order of the last write: the first entries are the oldest.
    for (const oldest of map.keys()) {
      if (map.size <= this.maxClients) break;
      map.delete(oldest);
    }
  }
}
