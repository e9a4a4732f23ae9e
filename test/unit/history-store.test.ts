import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryQueries } from '../../src/history/queries.ts';
import { HOUR, HistoryStore, MINUTE } from '../../src/history/store.ts';
import type { Clock } from '../../src/watchdog/clock.ts';

const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function fakeClock(start: number): Clock & { t: number } {
  const c = { t: start, now: () => c.t, setTimeout: () => ({}), clearTimeout: () => {} };
  return c;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempPath(): string {
  const d = mkdtempSync(`${tmpdir()}/healer-history-`);
  dirs.push(d);
  return `${d}/history.db`;
}

describe('history store', () => {
  it('sums probes per minute, writes them once per flush, and answers uptime and the bar', () => {
    const clock = fakeClock(T0);
    const store = new HistoryStore({ path: ':memory:', retentionMs: 7 * DAY, maxBytes: 64 * 2 ** 20, clock });
    const q = new HistoryQueries(store);
    for (let i = 0; i < 60; i++) store.probe('id', 'api', 'liveness', i % 4 !== 0, 10, T0 + i * 1000);
    store.probe('id', 'api', 'readiness', false, 5, T0);
    // Before the flush the open minute is read from memory; nothing is in the table yet.
    expect((store.db.prepare('SELECT count(*) AS n FROM probe_minutes').get() as { n: number }).n).toBe(0);
    clock.t = T0 + 59_000;
    expect(q.summaries(['api'], clock.t).api?.uptime.h1).toBe(0.75);
    store.flush();
    expect((store.db.prepare('SELECT count(*) AS n FROM probe_minutes').get() as { n: number }).n).toBe(2);
    const s = q.summaries(['api', 'other'], clock.t);
    expect(s.api?.uptime).toEqual({ h1: 0.75, h24: 0.75, d7: 0.75 });
    expect(s.api?.bar.at(-1)).toMatchObject({ t: T0, ok: 45, fail: 15 });
    expect(s.other?.uptime.h1).toBeNull();
    expect(q.series('api', T0 - HOUR, clock.t).buckets).toEqual([{ t: T0, ok: 45, fail: 15, latencyAvg: 10, latencyMax: 10 }]);
  });

  it('keeps transitions and probe minutes across a reopen of the file', () => {
    const path = tempPath();
    const clock = fakeClock(T0);
    const a = new HistoryStore({ path, retentionMs: 7 * DAY, maxBytes: 64 * 2 ** 20, clock });
    a.transition({ at: T0, container: 'api', event: 'unhealthy', reason: '2 failed probes' });
    a.transition({ at: T0 + 5000, container: 'api', event: 'restarted', reason: '2 failed probes' });
    a.transition({ at: T0 + 9000, container: 'api', event: 'recovered', reason: 'probes pass again', recoveryMs: 9000 });
    a.probe('id', 'api', 'liveness', true, 3, T0 + 10_000);
    a.close(); // the open minute is written on close
    const b = new HistoryStore({ path, retentionMs: 7 * DAY, maxBytes: 64 * 2 ** 20, clock });
    const q = new HistoryQueries(b);
    expect(q.transitions('api', 0).map((t) => t.event)).toEqual(['recovered', 'restarted', 'unhealthy']);
    const s = q.summaries(['api'], T0 + MINUTE);
    expect(s.api).toMatchObject({ restarts24h: 1, lastRecoveryMs: 9000, uptime: { h1: 1 } });
    expect((b.db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    b.close();
  });

  it('drops what is older than the retention', () => {
    const clock = fakeClock(T0);
    const store = new HistoryStore({ path: ':memory:', retentionMs: DAY, maxBytes: 64 * 2 ** 20, clock });
    store.transition({ at: T0, container: 'api', event: 'died', reason: 'exit 1', exitCode: 1, oom: false });
    store.probe('id', 'api', 'liveness', true, 1, T0);
    store.flush();
    clock.t = T0 + DAY + 2 * HOUR;
    store.transition({ at: clock.t, container: 'api', event: 'started', reason: 'x' });
    store.flush();
    const q = new HistoryQueries(store);
    expect(q.transitions(undefined, 0).map((t) => t.event)).toEqual(['started']);
    expect((store.db.prepare('SELECT count(*) AS n FROM probe_hours').get() as { n: number }).n).toBe(0);
  });

  it('keeps a week of history for 200 containers within the size bound, dropping the oldest first', () => {
    const clock = fakeClock(T0);
    const maxBytes = 2 ** 20;
    const store = new HistoryStore({ path: tempPath(), retentionMs: 7 * DAY, maxBytes, clock });
    for (let h = 0; h < 7 * 24; h++) {
      for (let c = 0; c < 200; c++) {
        // One sample per 10 minutes keeps the test quick; the bound is what is checked.
        for (let m = 0; m < 60; m += 10) store.probe('id', `c${c}`, 'liveness', (c + m) % 7 !== 0, 5, T0 + h * HOUR + m * MINUTE);
        if (h % 12 === 0) store.transition({ at: T0 + h * HOUR, container: `c${c}`, event: 'restarted', reason: 'synthetic' });
      }
      clock.t = T0 + (h + 1) * HOUR;
      store.flush();
      expect(store.bytes()).toBeLessThanOrEqual(maxBytes);
    }
    const oldest = (store.db.prepare('SELECT min(at) AS t FROM transitions').get() as { t: number }).t;
    expect(oldest).toBeGreaterThan(T0); // the bound made it drop the first days
    const newest = (store.db.prepare('SELECT max(at) AS t FROM transitions').get() as { t: number }).t;
    expect(newest).toBe(T0 + 156 * HOUR);
    store.close();
  });
});
