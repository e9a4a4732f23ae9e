import { RESOLVES, type Alert, type AlertEvent } from './types.ts';

interface Window {
  readonly key: string;
  /** How many alerts of this window were held back. */
  suppressed: number;
  /** The window's latest alert: the one delivered at its start, or the last held back. */
  sample: Alert;
  /** When `sample` was pushed, in push order across every window of the channel. */
  seq: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * Events whose windows must end together: an opening event and what resolves it (RESOLVES), joined
 * through shared members (`recovered` ends `unhealthy`, `crashloop`, `held` and `restart_failed`). An
 * event in no such pair is a family of its own.
 */
const FAMILY = (() => {
  const of = new Map<AlertEvent, readonly AlertEvent[]>();
  for (const [resolver, opened] of Object.entries(RESOLVES) as [AlertEvent, readonly AlertEvent[]][]) {
    const members = new Set<AlertEvent>([resolver, ...opened]);
    for (const e of [...members]) for (const x of of.get(e) ?? []) members.add(x);
    for (const e of members) of.set(e, [...members]);
  }
  return of;
})();

/** Whether one event changes what the other says about the same condition (fires or ends it). */
function touchSameCondition(a: AlertEvent, b: AlertEvent): boolean {
  return a === b || (RESOLVES[a]?.includes(b) ?? false) || (RESOLVES[b]?.includes(a) ?? false);
}

const who = (a: Alert): string => (a.container ? ` for ${a.container.name}` : '');

/**
 * A channel's throttle: the same (container, event) is delivered at most once per window; what is held
 * back is summarised when the window ends. Windows of events about one condition (`unhealthy`,
 * `recovered`) end together and their summaries go out in the order their alerts happened, so what a
 * receiver is told last is the container's latest state: a flapping container whose last change in the
 * window was `unhealthy` must not be resolved by the summary of an earlier `recovered` (Alertmanager
 * would end the alert, and nothing fires it again). A delivered alert that came after held-back ones
 * about its condition is sent again after their summaries, for the same reason.
 */
export class ThrottleWindows {
  private readonly windowMs: number;
  private readonly onEnd: (alerts: Alert[], of: Alert[]) => void;
  private readonly open = new Map<string, Window>();
  private seq = 0;

  /**
   * `onEnd` gets, in order, what to send when windows end (summaries and repeats), and for each the alert
   * it stands for (`of[i]`): a summary is new, but tells of an event that happened when that alert came.
   */
  constructor(windowMs: number, onEnd: (alerts: Alert[], of: Alert[]) => void) {
    this.windowMs = windowMs;
    this.onEnd = onEnd;
  }

  /**
   * True: deliver the alert now (it opens a window). False: held back, counted in its window. A window
   * is open while it is in the map (its timer ends it), so no clock step can shorten or stretch it.
   */
  admit(alert: Alert): { deliver: true } | { deliver: false; suppressed: number } {
    const key = keyOf(alert.container?.id, alert.event);
    const seq = ++this.seq;
    const w = this.open.get(key);
    if (w) {
      w.suppressed++;
      w.sample = alert;
      w.seq = seq;
      return { deliver: false, suppressed: w.suppressed };
    }
    const timer = setTimeout(() => this.end(alert.container?.id, alert.event), this.windowMs);
    timer.unref();
    this.open.set(key, { key, suppressed: 0, sample: alert, seq, timer });
    return { deliver: true };
  }

  /**
   * At shutdown: every window ends now, summarised as when its time is up, so what was held back (a
   * flapping container's latest state) still goes out within the shutdown grace.
   */
  endAll(): void {
    for (const w of [...this.open.values()]) if (this.open.has(w.key)) this.end(w.sample.container?.id, w.sample.event);
  }

  /** One window's time is up: it and the other windows of its family for the same container end now. */
  private end(id: string | undefined, event: AlertEvent): void {
    const windows: Window[] = [];
    for (const e of FAMILY.get(event) ?? [event]) {
      const w = this.open.get(keyOf(id, e));
      if (!w) continue;
      clearTimeout(w.timer);
      this.open.delete(w.key);
      windows.push(w);
    }
    const held = windows.filter((w) => w.suppressed > 0);
    if (held.length === 0) return;
    const out: Alert[] = [];
    const of: Alert[] = [];
    for (const w of windows.sort((x, y) => x.seq - y.seq)) {
      const s = w.sample;
      if (w.suppressed > 0) {
        out.push({ ...s, suppressed: w.suppressed, summary: `${s.summary} (and ${w.suppressed} more ${s.event} alerts${who(s)} in the throttle window)` });
        of.push(s);
      } else if (held.some((h) => h.seq < w.seq && touchSameCondition(h.sample.event, s.event))) {
        out.push({ ...s, summary: `${s.summary} (still so after the alerts the throttle window held back${who(s)})` });
        of.push(s);
      }
    }
    this.onEnd(out, of);
  }
}

function keyOf(id: string | undefined, event: AlertEvent): string {
  return `${id ?? 'host'}:${event}`;
}
