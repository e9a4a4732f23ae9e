import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../src/history/store.ts';
import type { Clock } from '../../src/watchdog/clock.ts';

// Regressions from the adversarial review: each failed before its fix.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('review: the history store when its file cannot be written (locked by another writer, disk full)', () => {
  it("the once-a-minute flush timer does not throw (a throw in a timer callback ends healer's process)", () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-review-`);
    dirs.push(dir);
    const path = `${dir}/healer-history.db`;
    const timers: (() => void)[] = [];
    const clock: Clock = { now: () => Date.UTC(2026, 0, 5, 12), setTimeout: (fn) => (timers.push(fn), {}), clearTimeout: () => undefined };
    const store = new HistoryStore({ path, retentionMs: 7 * 86_400_000, maxBytes: 64 * 2 ** 20, clock });
    store.start();
    store.probe('id', 'api', 'liveness', true, 3, clock.now());
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE; INSERT INTO transitions (at, container, event, reason) VALUES (0, 'x', 'held', 'x')");
    try {
      const tick = timers.at(-1);
      expect(tick).toBeDefined();
      // main.ts runs this on a real timer: an exception here is an uncaughtException.
      expect(() => tick?.()).not.toThrow();
    } finally {
      other.exec('ROLLBACK');
      other.close();
      store.close();
    }
  }, 20_000);
});

describe('review: a damaged history file (only the status page needs it)', () => {
  it('does not stop healer from starting and healing: startHealer is not rejected by it', async () => {
    const { writeFileSync } = await import('node:fs');
    const { pino } = await import('pino');
    const { loadConfig } = await import('../../src/config/load.ts');
    const { startHealer } = await import('../../src/main.ts');
    const dir = mkdtempSync(`${tmpdir()}/healer-review-`);
    dirs.push(dir);
    // Not a database: a restore gone wrong, a stray redirect, a disk error.
    writeFileSync(`${dir}/healer-history.db`, 'this is not an sqlite database, but it is long enough to be read as a header..........');
    writeFileSync(`${dir}/watchdog.yml`, `docker: { host: "unix://${dir}/no-engine.sock" }\nstate: { path: "${dir}/state.json" }\nserver: { listen: "off" }\n`);
    const loaded = loadConfig(`${dir}/watchdog.yml`, {});
    const abort = new AbortController();
    const started = startHealer({ loaded, log: pino({ level: 'silent' }), signal: abort.signal }).then(
      () => 'started',
      (err: unknown) => `rejected: ${(err as Error).message}`,
    );
    // Without an engine healer keeps retrying (it is often started before the engine): it must still be doing so.
    const outcome = await Promise.race([started, new Promise<string>((r) => setTimeout(() => r('still waiting for the engine'), 1_500))]);
    abort.abort();
    await started;
    expect(outcome).toBe('still waiting for the engine');
  }, 20_000);
});
