import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryQueries } from '../../src/history/queries.ts';
import { HOUR, HistoryStore } from '../../src/history/store.ts';
import type { Clock } from '../../src/watchdog/clock.ts';

// Review 14 (adversarial review of the history store): the database is briefly locked by another
// process when the once-a-minute flush runs.
// Trigger: another writer holds the file's write lock (an operator's `sqlite3 healer-history.db` in a
//   transaction, a backup tool, a second healer pointed at the same file) for longer than the store's
//   busy_timeout (50 ms) while the flush runs; the lock is then released and the next flush succeeds.
// What happens: flush() drains the in-memory minute sums BEFORE the write; the write fails with
//   "database is locked" (reported through onError), and the drained rows are thrown away: that
//   minute's probe results (passes and failures) are missing from the bar, the uptime and the chart for
//   good, although the next flush writes fine.
// What should happen: a failed write keeps the rows (they are added again to the next flush), so a
//   transient lock loses nothing; the page shows the failures that happened.
function fakeClock(start: number): Clock & { t: number } {
  const c = { t: start, now: () => c.t, setTimeout: () => ({}), clearTimeout: () => {} };
  return c;
}
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('review14: history, a flush while another process holds the write lock', () => {
  it('keeps the probe minutes it could not write and writes them with the next flush', () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-history-`);
    dirs.push(dir);
    const path = `${dir}/history.db`;
    const c = fakeClock(T0 + 50_000);
    const errors: string[] = [];
    const store = new HistoryStore({ path, retentionMs: 7 * 24 * HOUR, maxBytes: 64 * 2 ** 20, clock: c, onError: (what, err) => errors.push(`${what}: ${err.message}`) });
    const q = new HistoryQueries(store);
    // A minute of failing probes: the container was down.
    for (let i = 0; i < 10; i++) store.probe('id', 'api', 'liveness', false, 5, T0 + i * 1000);

    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    other.exec("INSERT INTO transitions (at, container, event, reason) VALUES (0, 'x', 'unhealthy', 'held lock')");
    store.flush(); // fails: database is locked
    other.exec('ROLLBACK');
    other.close();
    expect(errors.join('\n')).toMatch(/locked/);

    c.t = T0 + 70_000;
    store.flush(); // the lock is gone: this one succeeds
    const bar = q.summaries(['api'], c.t).api?.bar ?? [];
    const failed = bar.reduce((n, cell) => n + cell.fail, 0);
    // The 10 failed probes happened; the page must still show them.
    expect(failed).toBe(10);
    store.close();
  });
});

describe('review14: minutes kept across failing flushes are bounded', () => {
  it('keeps 15 minutes at most; older ones are dropped, each time with a count', () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-history-`);
    dirs.push(dir);
    const path = `${dir}/history.db`;
    const c = fakeClock(T0);
    const errors: string[] = [];
    const dropped: string[] = [];
    const store = new HistoryStore({ path, retentionMs: 7 * 24 * HOUR, maxBytes: 64 * 2 ** 20, clock: c, onError: (what, err) => errors.push(`${what}: ${err.message}`), onDropped: (m) => dropped.push(m) });
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    other.exec("INSERT INTO transitions (at, container, event, reason) VALUES (0, 'x', 'unhealthy', 'held lock')");
    // 20 minutes of one failing probe a minute, every flush failing on the lock.
    for (let m = 0; m < 20; m++) {
      c.t = T0 + m * 60_000 + 30_000;
      store.probe('id', 'api', 'liveness', false, 5, c.t);
      store.flush();
    }
    other.exec('ROLLBACK');
    other.close();
    expect(errors.length).toBe(20);
    expect(dropped).toEqual(Array<string>(5).fill('dropped 1 container-minutes (1 probe results) unwritten for over 15 minutes'));
    c.t += 1000;
    store.flush();
    const failed = (store.db.prepare('SELECT sum(fail) AS n FROM probe_minutes').get() as { n: number }).n;
    // The last 15 minutes were kept and written once the lock was gone; the 5 before them were dropped.
    expect(failed).toBe(15);
    store.close();
  });
});
