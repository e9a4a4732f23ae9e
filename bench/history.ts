// The status page's queries against a week of synthetic history for 200 containers (the figure:
// page data in < 100 ms), the file size that week takes, and the once-a-minute flush at 2,000 containers.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { HistoryQueries } from '../src/history/queries.ts';
import { HOUR, HistoryStore, MINUTE } from '../src/history/store.ts';
import { median, quantile } from './common.ts';

// HISTORY_CONTAINERS=2000 for the figure at 2,000 (the README quotes both).
const CONTAINERS = Number(process.env.HISTORY_CONTAINERS ?? 200);
const DAY = 24 * HOUR;
const now = Date.UTC(2026, 0, 12, 12, 0, 0);
const dir = mkdtempSync(`${tmpdir()}/healer-bench-history-`);
const clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => {} };
const store = new HistoryStore({ path: `${dir}/history.db`, retentionMs: 7 * DAY, maxBytes: 256 * 2 ** 20, clock });
const names = Array.from({ length: CONTAINERS }, (_, i) => `app-${i}`);

// A week as healer leaves it: hourly rows for 7 days, minute rows for the last day, a restart or so a day.
const t0 = performance.now();
const db = store.db;
db.exec('BEGIN');
const hour = db.prepare('INSERT INTO probe_hours VALUES (?, 0, ?, ?, ?, ?, ?)');
const minute = db.prepare('INSERT INTO probe_minutes VALUES (?, 0, ?, ?, ?, ?, ?)');
const transition = db.prepare('INSERT INTO transitions (at, container, project, event, reason, recovery_ms) VALUES (?, ?, ?, ?, ?, ?)');
for (const [i, name] of names.entries()) {
  for (let t = now - 7 * DAY; t < now; t += HOUR) hour.run(name, t, 360 - (i % 3), i % 3, 360 * 4.2, 30);
  for (let t = now - DAY; t < now; t += MINUTE) minute.run(name, t, 6, 0, 6 * 4.2, 9);
  for (let t = now - 7 * DAY + i * 1000; t < now; t += DAY / 3) {
    transition.run(t, name, 'shop', 'unhealthy', '2 failed liveness probes in a row', null);
    transition.run(t + 2000, name, 'shop', 'restarted', '2 failed liveness probes in a row', null);
    transition.run(t + 5000, name, 'shop', 'recovered', 'probes pass again', 5000);
  }
}
db.exec('COMMIT');
store.flush();
const fillMs = performance.now() - t0;
const q = new HistoryQueries(store);

const time = (fn: () => unknown, runs: number): number[] =>
  Array.from({ length: runs }, () => {
    const s = performance.now();
    fn();
    return performance.now() - s;
  });
// Each poll as the first after a write (a fresh reader reads the file), and as the page's 2-second polls
// meet it within a minute without a write (the file's rows read once, the live minute added).
const page = time(() => new HistoryQueries(store).summaries(names, now), 30);
q.summaries(names, now);
const repeat = time(() => q.summaries(names, now), 30);
// A poll after a transition (a crash-looping container writes one every few seconds): counts read again, probe sums not.
const afterTransition = time(() => {
  store.transition({ at: now - 1000, container: 'app-1', event: 'restarted', reason: 'bench' });
  q.summaries(names, now);
}, 30);
const detail = time(() => [q.series('app-7', now - DAY, now), q.transitions('app-7', now - DAY)], 30);
const week = time(() => [q.series('app-7', now - 7 * DAY, now), q.transitions('app-7', now - 7 * DAY)], 30);

// The minute flush at 2,000 containers (two probe roles each) and the cost of recording one probe result.
const many = Array.from({ length: 2000 }, (_, i) => `big-${i}`);
const rec = performance.now();
let n = 0;
for (let s = 0; s < 60; s++) {
  for (const name of many) {
    store.probe('id', name, 'liveness', true, 3, now + s * 1000);
    n++;
  }
}
const perProbeUs = ((performance.now() - rec) * 1000) / n;
const flush = time(() => {
  for (const name of many) {
    store.probe('id', name, 'liveness', true, 3, now);
    store.probe('id', name, 'readiness', true, 3, now);
  }
  store.flush();
}, 10);
store.close();
const bytes = statSync(`${dir}/history.db`).size;
rmSync(dir, { recursive: true, force: true });

const ms = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p95 ${quantile(xs, 0.95).toFixed(1)} ms`;
console.log(`history: a week for ${CONTAINERS} containers written in ${(fillMs / 1000).toFixed(1)} s, ${(bytes / 2 ** 20).toFixed(1)} MB on disk`);
console.log(`history: page data for ${CONTAINERS} containers and 7 days ${ms(page)}; a poll within the same minute, no write between ${ms(repeat)}, after a transition ${ms(afterTransition)}; detail (24 h) ${ms(detail)}; detail (7 d) ${ms(week)}`);
console.log(`history: recording a probe result ${perProbeUs.toFixed(2)} µs; minute flush at 2,000 containers ${ms(flush)}`);
