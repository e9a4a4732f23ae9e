import { describe, expect, it } from 'vitest';
import { nextRun } from '../../src/watchdog/schedule.ts';

describe('nextRun', () => {
  const every10s = { intervalMs: 10_000, schedule: undefined };
  it('starts at a jittered offset within the first interval', () => {
    expect(nextRun(every10s, 1000, undefined, () => 0)).toBe(1000);
    expect(nextRun(every10s, 1000, undefined, () => 0.5)).toBe(6000);
    expect(nextRun(every10s, 1000, undefined, () => 0.999)).toBe(10_990);
  });

  it('keeps to the planned grid, so slow probes do not drift the schedule', () => {
    expect(nextRun(every10s, 10_400, 10_000)).toBe(20_000);
  });

  it('skips missed runs instead of bursting after a stall', () => {
    expect(nextRun(every10s, 45_000, 10_000)).toBe(50_000);
  });

  it('follows a cron schedule with seconds', () => {
    const at = Date.parse('2026-01-01T00:00:07.500Z');
    expect(new Date(nextRun({ intervalMs: 10_000, schedule: '*/15 * * * * *' }, at, undefined)).toISOString()).toBe('2026-01-01T00:00:15.000Z');
  });
});
