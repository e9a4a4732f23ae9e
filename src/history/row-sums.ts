import type { HistoryStore } from './store.ts';
import { HOUR, MINUTE } from './store.ts';

/** Minutes in a row's bar of recent probe results. */
export const BAR_MINUTES = 30;
const DAY = 24 * HOUR;

/** One probe role's written results for a page row: sums over 1 h, 24 h, 7 days and the bar's minutes. */
export interface RoleSums {
  /** Whether the file holds any of this role's results in the week (which role the row shows). */
  seen: boolean;
  ok1h: number;
  fail1h: number;
  ok24: number;
  fail24: number;
  ok7: number;
  fail7: number;
  /** ok, fail per bar minute, oldest first (2 × BAR_MINUTES numbers). */
  bar: Float64Array;
}

/** What the file says of one container's page row at one minute: liveness, readiness and the counts. */
export interface RowSums {
  readonly roles: readonly [RoleSums, RoleSums];
  readonly restarts24h: number;
  readonly lastRecoveryMs: number | null;
}

const emptyRole = (): RoleSums => ({ seen: false, ok1h: 0, fail1h: 0, ok24: 0, fail24: 0, ok7: 0, fail7: 0, bar: new Float64Array(2 * BAR_MINUTES) });

/**
 * The page's rows as written in the history file, read once per minute and per write: the status page
 * polls every 2 s and at 2,000 containers a read is a third of a second of SQLite on healer's event
 * loop (three queries a container), which every open page would pay again for rows that change only
 * when healer writes or a minute passes. Probe sums are read again after a flush; the restart and
 * recovery counts (two queries over all transitions) after a transition, so a crash-looping container
 * does not make every poll read every container's probes again. The live minute is not in here: the
 * caller adds it at each read. Restarts in 24 h and the 1 h window move to the minute.
 */
export class RowSumsCache {
  private readonly store: HistoryStore;
  private probesKey = '';
  private countsKey = '';
  private roles = new Map<string, readonly [RoleSums, RoleSums]>();
  private restarts = new Map<string, number>();
  private recovery = new Map<string, number>();

  constructor(store: HistoryStore) {
    this.store = store;
  }

  /** Each named container's written sums at `now`; `first` is the bar's first minute. */
  read(names: readonly string[], now: number, first: number): Map<string, RowSums> {
    const minute = Math.floor(now / MINUTE);
    const v = this.store.versions;
    if (`${v.probes}:${minute}` !== this.probesKey) {
      this.probesKey = `${v.probes}:${minute}`;
      this.roles = new Map();
    }
    if (`${v.transitions}:${minute}` !== this.countsKey) {
      this.countsKey = `${v.transitions}:${minute}`;
      this.counts(now);
    }
    const missing = names.filter((n) => !this.roles.has(n));
    if (missing.length > 0) this.fill(missing, now, first);
    const out = new Map<string, RowSums>();
    for (const name of names) {
      const roles = this.roles.get(name);
      if (roles) out.set(name, { roles, restarts24h: this.restarts.get(name) ?? 0, lastRecoveryMs: this.recovery.get(name) ?? null });
    }
    return out;
  }

  private counts(now: number): void {
    const db = this.store.db;
    this.restarts = new Map();
    for (const r of db.prepare("SELECT container, count(*) AS n FROM transitions WHERE event = 'restarted' AND at >= ? GROUP BY container").all(now - DAY) as { container: string; n: number }[]) this.restarts.set(r.container, r.n);
    this.recovery = new Map();
    for (const r of db.prepare("SELECT container, recovery_ms AS ms, max(at) AS at FROM transitions WHERE event = 'recovered' GROUP BY container").all() as { container: string; ms: number | null }[]) {
      if (r.ms !== null) this.recovery.set(r.container, r.ms);
    }
  }

  private fill(names: readonly string[], now: number, first: number): void {
    const db = this.store.db;
    // Sums are taken in SQL (a week is 168 hourly rows per role); only the bar's 30 minutes come back as rows.
    const hoursQ = db.prepare(
      'SELECT role, sum(CASE WHEN t >= ? THEN ok ELSE 0 END) AS ok24, sum(CASE WHEN t >= ? THEN fail ELSE 0 END) AS fail24, sum(ok) AS ok7, sum(fail) AS fail7 FROM probe_hours WHERE container = ? AND t >= ? GROUP BY role',
    );
    const hourQ = db.prepare('SELECT role, sum(ok) AS ok, sum(fail) AS fail FROM probe_minutes WHERE container = ? AND t >= ? GROUP BY role');
    const barQ = db.prepare('SELECT role, t, ok, fail FROM probe_minutes WHERE container = ? AND t >= ?');
    for (const name of names) {
      const roles: [RoleSums, RoleSums] = [emptyRole(), emptyRole()];
      for (const r of hoursQ.all(now - DAY - HOUR, now - DAY - HOUR, name, now - 7 * DAY) as { role: number; ok24: number; fail24: number; ok7: number; fail7: number }[]) {
        Object.assign(roles[r.role === 0 ? 0 : 1], { seen: true, ok24: r.ok24, fail24: r.fail24, ok7: r.ok7, fail7: r.fail7 });
      }
      for (const r of hourQ.all(name, now - HOUR) as { role: number; ok: number; fail: number }[]) {
        Object.assign(roles[r.role === 0 ? 0 : 1], { seen: true, ok1h: r.ok, fail1h: r.fail });
      }
      for (const r of barQ.all(name, first) as { role: number; t: number; ok: number; fail: number }[]) {
        const i = Math.floor((r.t - first) / MINUTE);
        if (i < 0 || i >= BAR_MINUTES) continue;
        const s = roles[r.role === 0 ? 0 : 1];
        s.bar[2 * i] = (s.bar[2 * i] ?? 0) + r.ok;
        s.bar[2 * i + 1] = (s.bar[2 * i + 1] ?? 0) + r.fail;
      }
      this.roles.set(name, roles);
    }
  }
}
