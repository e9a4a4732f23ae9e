import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoTime } from '../../src/iso-time.ts';
import { createLogger } from '../../src/log.ts';

const FIRST = new Date('0000-01-01T00:00:00.000Z').getTime();
const LAST = new Date('9999-12-31T23:59:59.999Z').getTime();

describe('isoTime', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes what toISOString writes, for every millisecond of years 0 to 9999', () => {
    fc.assert(fc.property(fc.integer({ min: FIRST, max: LAST }), (ms) => isoTime(ms) === new Date(ms).toISOString()), { numRuns: 20_000 });
    for (const ms of [FIRST, LAST, 0, -1, Date.parse('2026-11-24T01:02:03.004Z')]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("answers outside years 0 to 9999, and for an invalid time, as toISOString does", () => {
    expect(isoTime(FIRST - 1)).toBe('-000001-12-31T23:59:59.999Z');
    expect(isoTime(LAST + 1)).toBe('+010000-01-01T00:00:00.000Z');
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });

  // toISOString reads the local time zone's offset (ICU's time-zone data, ~0.9 MB resident): the logger,
  // which writes a time on every line, must not call it.
  it('is what the logger writes its time with, without toISOString', () => {
    const spy = vi.spyOn(Date.prototype, 'toISOString');
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const before = Date.now();
    createLogger({ level: 'info', format: 'json' }, sink).info('hello');
    expect(spy).not.toHaveBeenCalled();
    const time = Date.parse((JSON.parse(lines[0] ?? '{}') as { time: string }).time);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
    expect((JSON.parse(lines[0] ?? '{}') as { time: string }).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
