/** One container's probe results for one role and minute, summed. */
export interface MinuteRow {
  container: string;
  role: 0 | 1;
  minute: number;
  ok: number;
  fail: number;
  latencySum: number;
  latencyMax: number;
}

/**
 * Probe results summed per container, role and minute in memory. Adding one is a map lookup and a few
 * additions (it runs at every probe); a slot reaching a new minute hands its finished row to the drain.
 */
export class ProbeMinutes {
  private readonly slots = new Map<string, MinuteRow>();
  private done: MinuteRow[] = [];

  add(container: string, role: 0 | 1, ok: boolean, latencyMs: number, at: number): void {
    const minute = at - (at % 60_000);
    const key = role === 0 ? container : `${container}\u0000r`;
    let s = this.slots.get(key);
    if (s && s.minute !== minute) {
      this.done.push(s);
      s = undefined;
    }
    if (!s) {
      s = { container, role, minute, ok: 0, fail: 0, latencySum: 0, latencyMax: 0 };
      this.slots.set(key, s);
    }
    if (ok) s.ok++;
    else s.fail++;
    s.latencySum += latencyMs;
    if (latencyMs > s.latencyMax) s.latencyMax = latencyMs;
  }

  /** Every row so far, including the minutes still open (the upsert adds later results to them). */
  drain(): MinuteRow[] {
    const rows = this.done;
    this.done = [];
    for (const s of this.slots.values()) rows.push(s);
    this.slots.clear();
    return rows;
  }

  /** The open minute's rows, read without draining: the page's live edge. */
  open(): readonly MinuteRow[] {
    return [...this.done, ...this.slots.values()];
  }
}
