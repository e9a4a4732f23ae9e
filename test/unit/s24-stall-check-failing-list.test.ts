import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/docker/event-normaliser.ts';
import { FAILED_LISTS_WARN, StallCheck } from '../../src/docker/stall-check.ts';

// A list the engine never answers in time (READ_MS) leaves the stall check without a verdict for good:
// that is said once at warn level (a single failure stays at debug: the next interval retries), and again
// only after a list has answered in between.

describe('StallCheck with lists that keep failing', () => {
  it('warns once after FAILED_LISTS_WARN failures in a row, again only after a list answered', async () => {
    const due: (() => void)[] = [];
    const timers: Timers = { set: (fn) => due.push(fn), clear: () => undefined };
    let fail = true;
    const logs: { level: number; msg: string; failedInARow?: number }[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void logs.push(JSON.parse(l) as { level: number; msg: string }) });
    const check = new StallCheck({
      list: () => (fail ? Promise.reject(new Error('the engine did not answer within 10s')) : Promise.resolve([])),
      opts: { intervalMs: 1_000, labels: [] },
      timers,
      log,
      stalled: () => undefined,
    });
    const rounds = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        due.shift()?.();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    check.connected();
    await rounds(FAILED_LISTS_WARN + 3);
    const warns = (): { msg: string; failedInARow?: number }[] => logs.filter((l) => l.level === 40);
    expect(warns().map((l) => l.failedInARow)).toEqual([FAILED_LISTS_WARN]);
    expect(warns()[0]?.msg).toMatch(/stalled event stream goes unnoticed/);
    fail = false;
    await rounds(1);
    fail = true;
    await rounds(FAILED_LISTS_WARN);
    expect(warns().map((l) => l.failedInARow)).toEqual([FAILED_LISTS_WARN, FAILED_LISTS_WARN]);
    check.stop();
  });
});
