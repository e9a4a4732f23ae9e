import type { Alert } from '../types.ts';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** What healer last knew of one condition, and the event (by emit order) that told it so. */
interface Condition {
  readonly seq: number;
  readonly intent: 'firing' | 'resolved';
  /** The body to (re-)send for that intent: the firing alert, or its resolve (same labels, endsAt). */
  readonly am: AmAlert;
  readonly containerId: string | undefined;
}

/** A resolve to post, with the event it stands for: only that event's answer may settle it. */
export interface Pending {
  readonly k: string;
  readonly seq: number;
  readonly am: AmAlert;
}

/** Containers stopped by an operator (and concluded conditions) remembered at most: the oldest are forgotten first. */
const STOPPED_MAX = 1_000;

/**
 * The Alertmanager provider's bookkeeping: ONE record per condition with the latest intent healer had
 * for it. Every event gets a sequence number in the order it was emitted (queued on the channel), not
 * the order Alertmanager answers in: a post's answer only changes the record if no later event has
 * spoken for that condition since. So an operator's stop, a removal or a lost resolve that comes while
 * an older firing alert is queued or in flight wins over it, and the re-send carries each condition's
 * latest intent only: never an old resolve after the condition fired again, never a firing after it ended.
 */
export class AmConditions {
  private readonly records = new Map<string, Condition>();
  private readonly seqOf = new WeakMap<Alert, number>();
  /** Containers an operator stopped, with the sequence of the stop: older opening alerts about them are stale. */
  private readonly stopped = new Map<string, number>();
  /**
   * Conditions whose record was dropped once Alertmanager settled it (a resolve taken, a firing alert
   * refused), with that event's sequence: a lost firing alert no newer than it must not open them again.
   */
  private readonly concluded = new Map<string, number>();
  private last = 0;

  /**
   * The emit-order sequence of an alert: given when it is queued (or held back by the throttle), or on
   * first sight (a direct send). A throttle summary takes the place of the alert it stands for (`of`):
   * what happened before an operator's stop stays older than the stop, however late it is summarised.
   */
  stamp(a: Alert, of?: Alert): number {
    let s = this.seqOf.get(a);
    if (s === undefined) this.seqOf.set(a, (s = of === undefined ? ++this.last : this.stamp(of)));
    return s;
  }

  /** True when an event emitted after `seq` has spoken for this condition or its container. */
  superseded(k: string, seq: number, containerId: string | undefined): boolean {
    const r = this.records.get(k);
    if (r !== undefined && r.seq > seq) return true;
    if (r === undefined && (this.concluded.get(k) ?? 0) >= seq) return true;
    return containerId !== undefined && (this.stopped.get(containerId) ?? 0) > seq;
  }

  /** The firing body of a condition whose latest intent is firing (a later alert than the one asking). */
  firingNow(k: string): AmAlert | undefined {
    const r = this.records.get(k);
    return r?.intent === 'firing' ? r.am : undefined;
  }

  /** Records a firing alert (before it is posted: a re-send meanwhile fires it, never an older resolve). */
  fire(k: string, seq: number, containerId: string | undefined, make: (before: AmAlert | undefined) => AmAlert): AmAlert {
    const r = this.records.get(k);
    // Still the same alert for Alertmanager (same labels, startsAt) if it was firing already.
    const am = make(r?.intent === 'firing' ? r.am : undefined);
    this.records.set(k, { seq, intent: 'firing', am, containerId });
    return am;
  }

  /**
   * A firing alert the channel could not deliver (dropped, or failed for good) and no later event has
   * spoken for (the caller checks `superseded`): the re-send fires the condition, whether a record older
   * than it is kept (a resolve healer knows is stale now) or none is (its first firing, dropped by a full
   * queue before it was ever posted). A record of this very alert stays as it is (the re-send fires it).
   */
  lostFiring(k: string, seq: number, containerId: string | undefined, make: (before: AmAlert | undefined) => AmAlert): void {
    const r = this.records.get(k);
    if (r === undefined || r.seq < seq) this.fire(k, seq, containerId, make);
  }

  /** A firing alert refused for good (4xx): nothing is re-sent for it, neither it nor an older resolve. */
  refused(k: string, seq: number): void {
    if (this.records.get(k)?.seq === seq) this.conclude(k, seq);
  }

  /**
   * Records the end of a condition as of `at` and returns its resolve, or nothing if a later event has
   * spoken for it. The resolve repeats the firing labels; startsAt moves back to `at` if it was later (a
   * clock stepped back): Alertmanager refuses endsAt before startsAt, and an endsAt clamped into the
   * future would keep the recovered container active until then.
   */
  resolve(k: string, seq: number, at: string, fallback: () => AmAlert): AmAlert | undefined {
    const r = this.records.get(k);
    if (r !== undefined && r.seq > seq) return undefined;
    let am: AmAlert;
    if (r?.intent === 'firing') am = { ...r.am, startsAt: earlier(r.am.startsAt, at), endsAt: at };
    else am = r?.am ?? fallback();
    this.records.set(k, { seq, intent: 'resolved', am, containerId: r?.containerId });
    return am;
  }

  /** A resolve Alertmanager has taken (or refused for good): no longer re-sent, unless it was superseded. */
  settle(batch: readonly Pending[]): void {
    for (const { k, seq } of batch) {
      const r = this.records.get(k);
      if (r?.seq === seq && r.intent === 'resolved') this.conclude(k, seq);
    }
  }

  /** Drops a condition's record (nothing more to re-send), remembering which event concluded it. */
  private conclude(k: string, seq: number): void {
    this.records.delete(k);
    this.concluded.delete(k);
    this.concluded.set(k, seq);
    if (this.concluded.size > STOPPED_MAX) this.concluded.delete(this.concluded.keys().next().value as string);
  }

  /**
   * Ends every condition firing for a container (removed, or stopped by an operator) as of `at`, and
   * returns their resolves. `stopped` also makes older opening alerts still queued about it stale.
   */
  endContainer(containerId: string, at: string, stopped: boolean): Pending[] {
    const seq = ++this.last;
    if (stopped) {
      this.stopped.delete(containerId);
      this.stopped.set(containerId, seq);
      if (this.stopped.size > STOPPED_MAX) this.stopped.delete(this.stopped.keys().next().value as string);
    }
    const out: Pending[] = [];
    for (const [k, r] of this.records) {
      if (r.containerId !== containerId || r.intent !== 'firing') continue;
      const am = this.resolve(k, seq, at, () => r.am);
      if (am) out.push({ k, seq, am });
    }
    return out;
  }

  /** What the re-send posts: each condition's latest intent. */
  pending(): { firing: AmAlert[]; resolves: Pending[] } {
    const firing: AmAlert[] = [];
    const resolves: Pending[] = [];
    for (const [k, r] of this.records) {
      if (r.intent === 'firing') firing.push(r.am);
      else resolves.push({ k, seq: r.seq, am: r.am });
    }
    return { firing, resolves };
  }
}

function earlier(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? b : a;
}
