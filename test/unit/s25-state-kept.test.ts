import { describe, expect, it } from 'vitest';
import { readState } from '../../src/watchdog/state-schema.ts';

// The state file keeps the breaker's open `paused` and when a kept crash loop was alerted (session 25);
// files written before (by main) must still load, and one whose new keys this version cannot read
// loses only those.
const budget = { restarts: [1], level: 1, lastRestartAt: 1, loop: 'open' };
const entry = (alerts?: unknown) => ({ name: 'a', budget, lifecycle: 'exited', restartCount: 0, ...(alerts ? { alerts } : {}) });

describe('state file: kept breaker and loop time', () => {
  it('a file written before them loads with the breaker closed and the loop since unknown', () => {
    const r = readState(JSON.stringify({ version: 1, savedAt: 5, containers: { c1: entry({ unresolved: true }) } }));
    expect(r.pausedSince).toBeUndefined();
    expect(r.containers.get('c1')?.alerts).toEqual({ unresolved: true });
    expect(r.dropped).toEqual([]);
  });

  it('reads the breaker and the loop time back', () => {
    const r = readState(JSON.stringify({ version: 1, savedAt: 5, breaker: { pausedSince: 3 }, containers: { c1: entry({ unresolved: true, crashloop: 2 }) } }));
    expect(r.pausedSince).toBe(3);
    expect(r.containers.get('c1')?.alerts).toEqual({ unresolved: true, crashloop: 2 });
  });

  it('a breaker this version cannot read is left out alone: it starts closed, the containers are kept', () => {
    const r = readState(JSON.stringify({ version: 1, savedAt: 5, breaker: { pausedSince: 'soon' }, containers: { c1: entry() } }));
    expect(r.pausedSince).toBeUndefined();
    expect(r.containers.has('c1')).toBe(true);
    expect(r.dropped.map((d) => [d.field, d.kept])).toEqual([['breaker.pausedSince', 'the breaker (it starts closed)']]);
  });
});
