import type { ListedContainer, ListedRun } from './list-states.ts';
import type { ContainerEvent } from './types.ts';

/**
 * How long the list may show a change no event told before the stream counts as stalled. Events lag the
 * list a little (an event in flight; Podman's `die` is held up to 5 s by the normaliser to see what
 * follows it), so a difference is only a suspicion until it outlasts this with no event of the container.
 */
export const STALL_GRACE_MS = 10_000;

/**
 * At most this many `destroy` markers are kept: they live only until the next list is asked for, but a
 * list the engine keeps failing must not let a removal storm grow them without bound (the oldest go first).
 */
const MAX_DESTROYED = 1_000;

/** Docker's `restarting` seen while the events said running: a `die` (and a start) no event told. */
const UNTOLD_RESTART = 'restarting, the events said running';

/** A change the list shows and the stream never told, for the log. */
export interface Missed {
  readonly id: string;
  readonly name: string;
  /** e.g. `exited, the events said running`. */
  readonly what: string;
}

interface Told {
  name: string;
  run: ListedRun | undefined;
  health: string | undefined;
  /** When the last event of it arrived (the audit's clock), or -Infinity when only a list told. */
  eventAt: number;
  /** It was in a list: gone from a later one with no `destroy`, it vanished unseen. */
  listed: boolean;
}

/**
 * What the event stream has told of each container, checked against the container list. Events are
 * sparse, so the stream's silence proves nothing; a container whose list state differs from what its
 * events said, for longer than STALL_GRACE_MS and with no event of it meanwhile, does: the stream is open
 * but delivers nothing (a half-open connection, a wedged publisher, a proxy that timed the request out).
 * No I/O and no clock of its own: the times come in.
 */
export class StreamAudit {
  private readonly told = new Map<string, Told>();
  private readonly suspects = new Map<string, { missed: Missed; since: number }>();
  /**
   * When each container's `destroy` came. Forgetting a removed container is not enough: a list asked
   * before its removal and answered after the `destroy` still shows it, and taken as news that stale row
   * would make the next list's "gone, no destroy event came". The marker outranks such a list.
   */
  private readonly destroyed = new Map<string, number>();
  private seeded = false;

  /** The stream was (re)opened: what it told before no longer counts; the next list seeds it again. */
  reset(): void {
    this.told.clear();
    this.suspects.clear();
    this.destroyed.clear();
    this.seeded = false;
  }

  /** Suspicions waiting for the grace: the caller looks again after it rather than after a full interval. */
  get suspicious(): boolean {
    return this.suspects.size > 0;
  }

  /** An event as the receiver gets it (Podman's already normalised), at `now`. */
  event(ev: ContainerEvent, now: number): void {
    this.suspects.delete(ev.id);
    if (ev.action === 'destroy') {
      this.told.delete(ev.id);
      this.destroyed.delete(ev.id);
      this.destroyed.set(ev.id, now);
      for (const id of this.destroyed.keys()) {
        if (this.destroyed.size <= MAX_DESTROYED) break;
        this.destroyed.delete(id);
      }
      return;
    }
    let t = this.told.get(ev.id);
    if (!t) this.told.set(ev.id, (t = { name: ev.name, run: undefined, health: undefined, eventAt: now, listed: false }));
    t.eventAt = now;
    if (ev.name !== '') t.name = ev.name;
    if (ev.action === 'start' || ev.action === 'unpause') t.run = 'running';
    if (ev.action === 'start') t.health = undefined;
    if (ev.action === 'die' || ev.action === 'stop') t.run = 'exited';
    if (ev.action === 'pause') t.run = 'paused';
    if (ev.action === 'health_status' && ev.health !== undefined) t.health = ev.health;
  }

  /**
   * A list asked for at `askedAt` (before the request went out) and answered at `now`: the changes it
   * shows that no event told for longer than the grace. The first list after a reset only seeds.
   */
  list(listed: readonly ListedContainer[], askedAt: number, now: number): Missed[] {
    const seen = new Set<string>();
    const differ = new Map<string, Missed>();
    for (const c of listed) {
      // Removed after the list was asked for: the row is older than the `destroy` that told it.
      if ((this.destroyed.get(c.id) ?? -Infinity) >= askedAt) continue;
      seen.add(c.id);
      const t = this.told.get(c.id);
      // An event that came after the list was asked for is at least as new as the list.
      if (t && t.eventAt >= askedAt) {
        t.listed = true;
        continue;
      }
      const what = this.seeded ? difference(t, c) : undefined;
      if (what !== undefined) differ.set(c.id, { id: c.id, name: c.name, what });
      else if (c.run !== undefined && c.run !== 'restarting') this.told.set(c.id, { name: c.name, run: c.run, health: c.health, eventAt: t?.eventAt ?? -Infinity, listed: true });
      else if (t) t.listed = true;
    }
    for (const [id, t] of this.told) {
      if (seen.has(id) || t.eventAt >= askedAt) continue;
      if (this.seeded && t.listed) differ.set(id, { id, name: t.name, what: 'gone, no destroy event came' });
      // Only events told of it and the list (filtered to healer's labels) leaves it out: not one to check.
      else this.told.delete(id);
    }
    this.seeded = true;
    // A later list asked for is newer than any removal told so far.
    for (const [id, at] of this.destroyed) if (at < askedAt) this.destroyed.delete(id);
    for (const [id, s] of [...this.suspects]) {
      if (differ.has(id)) continue;
      // An untold restart stays proven when the list shows the container running again (a crash loop
      // under its restart policy shows running and restarting by turns): only an event of it (or its
      // removal) clears that suspicion. Any other one ends when the list agrees with the events again.
      if (s.missed.what === UNTOLD_RESTART && seen.has(id)) differ.set(id, s.missed);
      else this.suspects.delete(id);
    }
    const missed: Missed[] = [];
    for (const [id, m] of differ) {
      const s = this.suspects.get(id);
      if (s === undefined || (s.missed.what !== m.what && s.missed.what !== UNTOLD_RESTART)) this.suspects.set(id, { missed: m, since: askedAt });
      else if (now - s.since >= STALL_GRACE_MS) missed.push(s.missed);
    }
    return missed;
  }
}

/** What the list shows that the events did not say, or undefined when they agree (or the list cannot tell). */
function difference(t: Told | undefined, c: ListedContainer): string | undefined {
  if (c.run === undefined) return undefined;
  // Docker emits die and start for each restart its policy makes; after a `die` (the events said exited)
  // `restarting` is what they told. A crash loop on a stalled stream shows only running and restarting.
  if (c.run === 'restarting') return t?.run === 'running' ? UNTOLD_RESTART : undefined;
  if (t === undefined || t.run === undefined) return c.run === 'exited' ? undefined : `${c.run}, no start event came`;
  if (t.run !== c.run) return `${c.run}, the events said ${t.run}`;
  if (c.run === 'running' && (c.health === 'healthy' || c.health === 'unhealthy') && t.health !== c.health) {
    return `${c.health}, the events said ${t.health ?? 'no health yet'}`;
  }
  return undefined;
}
