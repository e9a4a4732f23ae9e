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
 * machine simply hears from that container less often. Two clocks per container: its own at SHARE, and
 * its fair part of TOTAL_SHARE (divided among the containers charged lately), which counts only while the
 * total is spent: a container within its fair part is not put off for what the others spend. The fair
 * parts are judged one container at a time, so the total is also a hard limit of its own (TOTAL_DEBT_MS,
 * for every match, a newcomer's too): many tenants together cannot add up to more than TOTAL_SHARE over
 * time, nor hold the loop more than ~2.5 s and one match back to back. Every match is charged, however short.
 */

/** One container's matching may use at most this share of healer's time. */
export const SHARE = 0.05;
/** All containers' matching together may use at most this share (over time: TOTAL_DEBT_MS is the burst). */
export const TOTAL_SHARE = 0.2;
/** How far ahead of now a container's next free time may run before its probes are put off (a burst). */
export const BURST_MS = 1_000;
/**
 * How far ahead of now the total's next free time may run before every match waits, one within its
 * fair part too: ~2 s of matching at TOTAL_SHARE. The fair-part rule judges each container alone, so
 * containers whose clocks are all paid (their targets were down together, then came back) would each
 * be let through once, together: 100 slow ones held healer's loop 40 s back to back. Past this, the loop
 * gets its time back first; in steady use the total never runs this far ahead.
 */
export const TOTAL_DEBT_MS = 10_000;
/**
 * The most a known container's next match is expected to cost when the total is asked for room
 * (roomInTotal). A match is bounded (~0.4 s at worst: config/body-pattern.ts), so a longer one timed was
 * the loop held by something else during it (a GC pause: match times are wall time); taken at face value
 * it would need the total idle for seconds, which any cheap neighbour never lets happen, and the
 * container would never be matched again, long after its own share was paid. The hard bound is not
 * loosened: no match starts while the total runs more than TOTAL_DEBT_MS ahead.
 */
export const MAX_EXPECTED_MS = 500;
/** A container not charged for this long no longer divides the total share. */
const IDLE_MS = 60_000;

interface Account {
  /** When this container's matching so far, at SHARE, is paid for (monotonic ms): its own limit. */
  ownAt: number;
  /** When its matching so far, at its fair part of the total (share()), is paid for: it waits on a spent total only past this. */
  fairAt: number;
  /** One of its matches was charged lately: it divides TOTAL_SHARE. */
  active: boolean;
  /** One of its body probes has ended: until then its cost is unknown. */
  known: boolean;
  /** Not known yet, and a probe of it is out (its other role waits: one unknown match at a time). */
  out: boolean;
  /** It was put off once already: the warning is logged once per container. */
  warned: boolean;
  /** Its last match's time (ms): what its next one is expected to add to the total (roomInTotal, at most MAX_EXPECTED_MS). */
  lastMs: number;
}

/**
 * Whether a probe with a body pattern may run now. `warn`: this container's first put-off for being over
 * its share (a container not matched yet waits without a warning: its pattern is not known to cost anything).
 */
export type MatchVerdict = { readonly delay: false } | { readonly delay: true; readonly warn: boolean; readonly share: number };

const ALLOWED: MatchVerdict = { delay: false };

/** healer-wide: one per Watchdog, shared by every watch (the total is what protects the loop). */
export class MatchBudget {
  private readonly accounts = new Map<string, Account>();
  /** When all the matching charged so far, at TOTAL_SHARE, is paid for (monotonic ms). */
  private totalFreeAt = Number.NEGATIVE_INFINITY;
  /** When the first matches of containers not known yet, at SHARE, are paid for: newcomers' own allowance. */
  private newFreeAt = Number.NEGATIVE_INFINITY;
  private active = 0;
  private swept = Number.NEGATIVE_INFINITY;

  /** A container's fair part of the total now (what it may use while the total is spent). */
  share(): number {
    return Math.min(SHARE, TOTAL_SHARE / Math.max(1, this.active));
  }

  /** Whether container `id` must put off a body-matching probe at `now` (monotonic ms). */
  verdict(id: string, now: number): MatchVerdict {
    const a = this.accounts.get(id);
    if (!a?.known) {
      // Not matched yet: waiting for its target costs nothing, so no other container's probe holds it
      // back; only its own other role waits (its cost is not known yet), and mayMatch() gates the match.
      if (a?.out === true || !this.newcomerRoom(now)) return { delay: true, warn: false, share: this.share() };
      if (a) a.out = true;
      else this.accounts.set(id, { ownAt: now, fairAt: now, active: false, known: false, out: true, warned: false, lastMs: 0 });
      return ALLOWED;
    }
    // Over its own share, it waits; over its fair part of a spent total, too. A container within both is
    // put off only while its match would take the total past its limit (no warning: not its doing).
    if (!this.roomInTotal(a, now)) return { delay: true, warn: false, share: this.share() };
    const overOwn = a.ownAt - now > BURST_MS;
    const overFair = this.totalFreeAt - now > BURST_MS && a.fairAt - now > BURST_MS;
    if (!overOwn && !overFair) return ALLOWED;
    const warn = !a.warned;
    a.warned = true;
    return { delay: true, warn, share: overOwn ? SHARE : this.share() };
  }

  /**
   * Asked just before a match, when the body has arrived (the match is synchronous: nothing else runs
   * until it is charged). A container whose cost is known was let go by verdict(), but so may many have
   * been at once: each matches only while the total has room for it (roomInTotal); one not matched yet
   * matches only while the total, or the newcomers' allowance, has room, so a tenant starting many
   * containers together holds the loop for one unknown match, not one per container. `false`: its probe
   * ends put off, without a result (and the container is still not known).
   */
  mayMatch(id: string, now: number): boolean {
    const a = this.accounts.get(id);
    // No account: forgotten (the container was removed) while its probe was out. Judged as a match of
    // unknown cost, never let through past the total (the gate is what bounds it).
    if (!a) return this.newcomerRoom(now);
    // (Probes let through together are matched one by one: the total is asked again at each match.)
    if (a.known) return this.roomInTotal(a, now);
    if (this.newcomerRoom(now)) return true;
    a.out = false;
    return false;
  }

  /** A body probe of container `id` ended at `now` (monotonic ms), its match (if it got that far) taking `matchMs`. */
  ended(id: string, now: number, matchMs: number | undefined): void {
    this.sweep(now);
    let a = this.accounts.get(id);
    if (!a) {
      a = { ownAt: now, fairAt: now, active: false, known: false, out: false, warned: false, lastMs: 0 };
      this.accounts.set(id, a);
    }
    const wasKnown = a.known;
    // Known only once a match was timed: a first probe refused or answered 503 (the app not listening yet,
    // as right after a start) says nothing of what its matches cost.
    a.known = wasKnown || matchMs !== undefined;
    a.out = false;
    if (matchMs === undefined) return;
    a.lastMs = matchMs;
    // Every match is charged, however short: many cheap ones add up on the same loop.
    if (!a.active) {
      a.active = true;
      this.active++;
    }
    const start = now - matchMs;
    a.ownAt = Math.max(a.ownAt, start) + matchMs / SHARE;
    a.fairAt = Math.max(a.fairAt, start) + matchMs / this.share();
    this.totalFreeAt = Math.max(this.totalFreeAt, start) + matchMs / TOTAL_SHARE;
    if (!wasKnown) this.newFreeAt = Math.max(this.newFreeAt, start) + matchMs / SHARE;
  }

  /** A body probe of container `id` ended without ended() (it threw): a container not known yet may probe again. */
  release(id: string): void {
    const a = this.accounts.get(id);
    if (a) a.out = false;
  }

  /** The container is gone (or no longer watched): it no longer divides the total. */
  forget(id: string): void {
    if (this.accounts.get(id)?.active === true) this.active--;
    this.accounts.delete(id);
  }

  /**
   * Whether the total can take this container's next match (expected to cost as its last did) without
   * running more than TOTAL_DEBT_MS ahead. Asked of every match, within its fair part or not: expected
   * cost, not a flat cut-off, so that slow matches taking the total up to the limit leave room for cheap
   * ones (a container whose matches cost 0.5 ms is not starved by ones costing 400 ms).
   */
  private roomInTotal(a: Account, now: number): boolean {
    return this.totalFreeAt + Math.min(a.lastMs, MAX_EXPECTED_MS) / TOTAL_SHARE - now <= TOTAL_DEBT_MS;
  }

  /** Room for a match of unknown cost: in the total, or in the newcomers' own allowance. */
  private newcomerRoom(now: number): boolean {
    const room = this.totalFreeAt - now <= BURST_MS || this.newFreeAt - now <= BURST_MS;
    // (Its cost taken as nothing: slow known ones stop short of the limit, so a new container is not starved.)
    return room && this.totalFreeAt - now <= TOTAL_DEBT_MS;
  }

  /** Containers whose matching is long paid for stop dividing the total share (once a second at most). */
  private sweep(now: number): void {
    if (now - this.swept < 1_000) return;
    this.swept = now;
    for (const a of this.accounts.values()) {
      if (a.active && now - Math.max(a.ownAt, a.fairAt) > IDLE_MS) {
        a.active = false;
        this.active--;
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
