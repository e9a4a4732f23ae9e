import type { HistoryEvent } from '../watchdog/history.ts';
import type { MinuteRow } from './minutes.ts';
import { BAR_MINUTES, RowSumsCache } from './row-sums.ts';
import { HOUR, MINUTE, MINUTE_RETENTION_MS, type HistoryStore } from './store.ts';

export { BAR_MINUTES };

export interface Bucket {
  readonly t: number;
  readonly ok: number;
  readonly fail: number;
  readonly latencyAvg: number;
  readonly latencyMax: number;
}

/** What the page shows in a container's row. Uptime is the share of passing probes; null without probes. */
export interface ContainerSummary {
  readonly bar: readonly { t: number; ok: number; fail: number }[];
  readonly uptime: { readonly h1: number | null; readonly h24: number | null; readonly d7: number | null };
  readonly restarts24h: number;
  readonly lastRecoveryMs: number | null;
}

export interface TransitionRow {
  readonly at: number;
  readonly container: string;
  readonly event: HistoryEvent;
  readonly reason: string;
  readonly recoveryMs: number | null;
  readonly exitCode: number | null;
  readonly oom: boolean | null;
}

interface Raw {
  role: number;
  t: number;
  ok: number;
  fail: number;
  latency_sum: number;
  latency_max: number;
}

/** Read side of the history, for the page, the JSON API and the badges. */
export class HistoryQueries {
  private readonly store: HistoryStore;
  private readonly sums: RowSumsCache;
  constructor(store: HistoryStore) {
    this.store = store;
    this.sums = new RowSumsCache(store);
  }

  /**
   * Every named container's row data at `now`: what the file says, read once a minute and per write
   * (row-sums.ts), plus the minute still being summed in memory.
   */
  summaries(names: readonly string[], now: number): Record<string, ContainerSummary> {
    const first = now - (now % MINUTE) - (BAR_MINUTES - 1) * MINUTE;
    const stored = this.sums.read(names, now, first);
    const open = groupOpen(this.store.current.open());
    const out: Record<string, ContainerSummary> = {};
    for (const name of names) {
      const live = open.get(name) ?? [];
      const sums = stored.get(name);
      const role = sums?.roles[0].seen || live.some((r) => r.role === 0) ? 0 : 1;
      const mine = sums?.roles[role];
      let liveOk = 0;
      let liveFail = 0;
      const bar = Array.from({ length: BAR_MINUTES }, (_, i) => ({ t: first + i * MINUTE, ok: mine?.bar[2 * i] ?? 0, fail: mine?.bar[2 * i + 1] ?? 0 }));
      for (const r of live) {
        if (r.role !== role) continue;
        liveOk += r.ok;
        liveFail += r.fail;
        const cell = bar[Math.floor((r.t - first) / MINUTE)];
        if (!cell) continue;
        cell.ok += r.ok;
        cell.fail += r.fail;
      }
      const share = (ok: number, fail: number): number | null => (ok + fail === 0 ? null : ok / (ok + fail));
      out[name] = {
        bar,
        uptime: {
          h1: share((mine?.ok1h ?? 0) + liveOk, (mine?.fail1h ?? 0) + liveFail),
          h24: share((mine?.ok24 ?? 0) + liveOk, (mine?.fail24 ?? 0) + liveFail),
          d7: share((mine?.ok7 ?? 0) + liveOk, (mine?.fail7 ?? 0) + liveFail),
        },
        restarts24h: sums?.restarts24h ?? 0,
        lastRecoveryMs: sums?.lastRecoveryMs ?? null,
      };
    }
    return out;
  }

  /** Transitions since `since`, newest first; one container's, or all (host-wide ones have container ''). */
  transitions(container: string | undefined, since: number, limit = 500): TransitionRow[] {
    const sql = `SELECT at, container, event, reason, recovery_ms, exit_code, oom FROM transitions WHERE at >= ?${container === undefined ? '' : " AND (container = ? OR container = '')"} ORDER BY at DESC, rowid DESC LIMIT ?`;
    const args = container === undefined ? [since, limit] : [since, container, limit];
    return (this.store.db.prepare(sql).all(...args) as { at: number; container: string; event: HistoryEvent; reason: string; recovery_ms: number | null; exit_code: number | null; oom: number | null }[]).map((r) => ({
      at: r.at,
      container: r.container,
      event: r.event,
      reason: r.reason,
      recoveryMs: r.recovery_ms,
      exitCode: r.exit_code,
      oom: r.oom === null ? null : r.oom === 1,
    }));
  }

  /** One container's probe series since `since`: per minute within the last day, per hour before. */
  series(container: string, since: number, now: number): { resolution: 'minute' | 'hour'; buckets: Bucket[] } {
    // A client asking for "the last 24 hours" gets minutes, even if its clock runs a little ahead.
    const hourly = since < now - MINUTE_RETENTION_MS - HOUR;
    const rows = this.store.db.prepare(`SELECT role, t, ok, fail, latency_sum, latency_max FROM ${hourly ? 'probe_hours' : 'probe_minutes'} WHERE container = ? AND t >= ? ORDER BY t`).all(container, since) as unknown as Raw[];
    const live = (groupOpen(this.store.current.open()).get(container) ?? []).map((r) => (hourly ? { ...r, t: r.t - (r.t % HOUR) } : r));
    const all = [...rows, ...live];
    const role = all.some((r) => r.role === 0) ? 0 : 1;
    const by = new Map<number, { ok: number; fail: number; sum: number; max: number }>();
    for (const r of all) {
      if (r.role !== role) continue;
      const b = by.get(r.t) ?? { ok: 0, fail: 0, sum: 0, max: 0 };
      b.ok += r.ok;
      b.fail += r.fail;
      b.sum += r.latency_sum;
      b.max = Math.max(b.max, r.latency_max);
      by.set(r.t, b);
    }
    const buckets = [...by.entries()].sort((a, b) => a[0] - b[0]).map(([t, b]) => ({ t, ok: b.ok, fail: b.fail, latencyAvg: b.ok + b.fail === 0 ? 0 : round(b.sum / (b.ok + b.fail)), latencyMax: round(b.max) }));
    return { resolution: hourly ? 'hour' : 'minute', buckets };
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function groupOpen(rows: readonly MinuteRow[]): Map<string, Raw[]> {
  const m = new Map<string, Raw[]>();
  for (const r of rows) {
    const list = m.get(r.container) ?? [];
    list.push({ role: r.role, t: r.minute, ok: r.ok, fail: r.fail, latency_sum: r.latencySum, latency_max: r.latencyMax });
    m.set(r.container, list);
  }
  return m;
}
