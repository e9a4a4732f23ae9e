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

  /**
   * Rows a flush drained but could not write (the file locked by another writer, the disk full): put
   * back, so the next flush writes them (the upsert adds them to what is there) and the page still shows
   * them meanwhile. Rows of minutes before `oldest` are dropped to bound memory while writes keep
   * failing; what is dropped is returned, for the caller to count and say.
   */
  keep(rows: readonly MinuteRow[], oldest: number): { rows: number; probes: number } {
    const kept = rows.filter((r) => r.minute >= oldest);
    const dropped = rows.filter((r) => r.minute < oldest);
    this.done = [...kept, ...this.done];
    return { rows: dropped.length, probes: dropped.reduce((n, r) => n + r.ok + r.fail, 0) };
  }

  /** The open minute's rows, read without draining: the page's live edge. */
  open(): readonly MinuteRow[] {
    return [...this.done, ...this.slots.values()];
  }
}
