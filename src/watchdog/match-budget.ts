import type { Logger } from 'pino';
import type { Role } from './machine-types.ts';

/**
 * A share of healer's time for body matching. One match is bounded (config/body-pattern.ts: 128 RE2
 * instructions over at most 64 KiB, ~0.4 s at worst on the test machine), but a label also chooses how
 * often it is matched: two 100 ms probes with a slow pattern ask for 8 s of matching a second, all of it
 * on the event loop every other container's probes, events and restarts need. So each container's
 * matching is charged, on monotonic time, against a share of the wall time (a virtual-scheduling rate
 * limit: each match moves the container's "next free" time on by its duration / share), and a container
 * over its share has its probes put off until it is within it again: no result is made up, the state
 * machine simply hears from that container less often. The share is SHARE, or TOTAL_SHARE divided among
 * the containers being charged when there are more than TOTAL_SHARE / SHARE of them, so many tenants
 * together cannot add up to more than TOTAL_SHARE either.
 */

/** One container's matching may use at most this share of healer's time. */
export const SHARE = 0.05;
/** All containers' matching together may use at most this share. */
export const TOTAL_SHARE = 0.2;
/**
 * A match shorter than this is not charged: it costs about what reading the response around it costs,
 * which the probe interval already bounds. Realistic patterns against realistic bodies stay far below.
 */
export const MIN_CHARGED_MS = 1;
/** How far ahead of now a container's next free time may run before its probes are put off (a burst). */
export const BURST_MS = 1_000;
/**
 * At most this many probes of containers never matched yet may be out at once: their cost is unknown
 * until they end, so a tenant that starts many containers together holds the loop for a few matches,
 * not one per container. (Cheap probes end within milliseconds: a slot is rarely waited for.)
 */
export const MAX_UNKNOWN = 4;
/** A container not charged for this long no longer divides the total share. */
const IDLE_MS = 60_000;

interface Account {
  /** When this container's matching so far, at its share, is paid for (monotonic ms). */
  freeAt: number;
  /** One of its matches was charged lately: it divides TOTAL_SHARE, and waits when the total is spent. */
  heavy: boolean;
  /** A body probe of it has ended: until then its cost is unknown, and it runs one at a time. */
  known: boolean;
  /** It was put off once already: the warning is logged once per container. */
  warned: boolean;
}

/**
 * Whether a probe with a body pattern may run now. `warn`: this container's first put-off for being over
 * its share (a container whose first probe is still out, or one not yet matched while the total is
 * spent, waits without a warning: its pattern is not known to cost anything yet).
 */
export type MatchVerdict = { readonly delay: false } | { readonly delay: true; readonly warn: boolean; readonly share: number };

const ALLOWED: MatchVerdict = { delay: false };

/** healer-wide: one per Watchdog, shared by every watch (the total is what protects the loop). */
export class MatchBudget {
  private readonly accounts = new Map<string, Account>();
  /** When all the matching charged so far, at TOTAL_SHARE, is paid for (monotonic ms). */
  private totalFreeAt = Number.NEGATIVE_INFINITY;
  private heavy = 0;
  /** Probes out of containers whose cost is not known yet (MAX_UNKNOWN). */
  private unknown = 0;
  private swept = Number.NEGATIVE_INFINITY;

  /** The share each heavy container gets now. */
  share(): number {
    return Math.min(SHARE, TOTAL_SHARE / Math.max(1, this.heavy));
  }

  /** Whether container `id` must put off a body-matching probe at `now` (monotonic ms). */
  verdict(id: string, now: number): MatchVerdict {
    const spent = this.totalFreeAt - now > BURST_MS;
    const a = this.accounts.get(id);
    if (!a) {
      // Never matched: its cost is unknown, so it starts only while the total has room (a tenant that
      // makes new containers gets no fresh allowance with each), and then one probe at a time.
      if (spent || this.unknown >= MAX_UNKNOWN) return { delay: true, warn: false, share: this.share() };
      this.accounts.set(id, { freeAt: now, heavy: false, known: false, warned: false });
      this.unknown++;
      return ALLOWED;
    }
    if (!a.known) return { delay: true, warn: false, share: this.share() };
    // A container whose matches are cheap (never charged) is never put off, however busy the others keep healer.
    if (a.freeAt - now <= BURST_MS && !(spent && a.heavy)) return ALLOWED;
    const warn = !a.warned;
    a.warned = true;
    return { delay: true, warn, share: this.share() };
  }

  /** A body probe of container `id` ended at `now` (monotonic ms), its match (if it got that far) taking `matchMs`. */
  ended(id: string, now: number, matchMs: number | undefined): void {
    this.sweep(now);
    let a = this.accounts.get(id);
    if (!a) {
      a = { freeAt: now, heavy: false, known: true, warned: false };
      this.accounts.set(id, a);
    }
    if (!a.known) {
      a.known = true;
      this.unknown--;
    }
    if (matchMs === undefined || matchMs < MIN_CHARGED_MS) return;
    if (!a.heavy) {
      a.heavy = true;
      this.heavy++;
    }
    const start = now - matchMs;
    a.freeAt = Math.max(a.freeAt, start) + matchMs / this.share();
    this.totalFreeAt = Math.max(this.totalFreeAt, start) + matchMs / TOTAL_SHARE;
  }

  /** The container is gone (or no longer watched): it no longer divides the total. */
  forget(id: string): void {
    const a = this.accounts.get(id);
    if (a?.heavy === true) this.heavy--;
    if (a?.known === false) this.unknown--;
    this.accounts.delete(id);
  }

  /** Containers whose matching is long paid for stop dividing the total share (once a second at most). */
  private sweep(now: number): void {
    if (now - this.swept < 1_000) return;
    this.swept = now;
    for (const a of this.accounts.values()) {
      if (a.heavy && now - a.freeAt > IDLE_MS) {
        a.heavy = false;
        this.heavy--;
      }
    }
  }
}

/**
 * Whether a scheduled probe with a body pattern is put off now (the next tick asks again). The first
 * time for a container it says so, once, naming the pattern: the operator learns which label costs
 * healer's time, and the tenant why its probes run less often. (Label text in a log field is escaped by
 * the logger, as everywhere: log.ts.)
 */
export function putOff(budget: MatchBudget, id: string, now: number, log: Logger, role: Role, pattern: string): boolean {
  const v = budget.verdict(id, now);
  if (!v.delay) return false;
  if (v.warn) {
    log.warn(
      { probe: role, pattern, share: `${Math.round(v.share * 1000) / 10}%` },
      "body matching takes more than this container's share of healer's time: its probes are spaced out (not counted as failures) until it is within it",
    );
  }
  return true;
}
