import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { Breaker } from '../../src/watchdog/breaker.ts';
import type { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { readState } from '../../src/watchdog/state-schema.ts';
import { steppedClock } from '../helpers/fake-stepped-clock.ts';

// Review 25c. Trigger: a hand-edited (or corrupted) state file whose breaker.pausedSince is a finite
// number outside JavaScript's date range (|t| > 8.64e15 ms, e.g. -1e16). readState takes it (z.number()),
// the next healer starts paused, and when it finds the breaker still open it logs
// `new Date(since).toISOString()`: RangeError. Thrown from synced() (onConnected: the event stream takes it
// for a lost connection) and then from every reassessment timer: an uncaught exception in a timer (no
// handler in src/), and Breaker.start()'s timer is not re-armed after a throw, so the breaker is never
// judged again. The contract for a hand-edited file: an entry this version cannot read is dropped with a
// clear message; healer does not crash.

const watch = (failing: boolean): ContainerWatch =>
  ({ policy: { action: 'restart' }, failing, state: { pending: undefined }, confirmsByProbe: true }) as unknown as ContainerWatch;

describe('review25c: a kept breaker time outside the date range', () => {
  it('is dropped by readState or judged without throwing', () => {
    const r = readState(JSON.stringify({ version: 1, savedAt: 5, breaker: { pausedSince: -1e16 }, containers: {} }));
    const c = steppedClock();
    const alerts: AlertInput[] = [];
    let kept = r.pausedSince;
    const b = new Breaker({
      clock: c.clock,
      log: pino({ level: 'silent' }),
      alerter: { emit: (a: AlertInput) => void alerts.push(a), containerGone: () => undefined },
      history: NO_HISTORY,
      guards: { fraction: 0.5, min_containers: 4 },
      watches: () => [watch(true), watch(true), watch(true), watch(false)],
      context: () => ({ heldBy: undefined, paused: false }),
      kept: { get breaker() { return kept; }, setBreaker: (s: number | undefined) => void (kept = s) },
    });
    expect(() => b.synced()).not.toThrow();
    // Dropped (the README's contract for an entry this version cannot read): the breaker starts closed
    // and opens as a fresh healer's does, on its first look (a failing flip, or every 30 s).
    expect(() => b.reassess()).not.toThrow();
    expect(b.open).toBe(true);
    expect(alerts.every((a) => a.event === 'paused')).toBe(true);
    expect(r.dropped).toEqual([expect.objectContaining({ field: 'breaker.pausedSince', why: expect.stringContaining('not a time') as unknown })]);
  });

  it('kept alert times outside the date range drop the alerts alone, named', () => {
    const budget = { restarts: [], level: 0, loop: 'closed' };
    const entry = (alerts: object) => ({ name: 'worker', budget, lifecycle: 'exited', restartCount: 0, alerts });
    for (const field of ['unhealthy', 'crashloop', 'held', 'restart_failed']) {
      const r = readState(JSON.stringify({ version: 1, savedAt: 5, containers: { abc: entry({ unresolved: true, [field]: -1e16 }) } }));
      expect(r.containers.get('abc')?.alerts).toBeUndefined();
      expect(r.containers.get('abc')?.name).toBe('worker');
      expect(r.dropped).toEqual([expect.objectContaining({ container: 'worker', field: `alerts.${field}`, why: expect.stringContaining('not a time') as unknown })]);
    }
    // In range: kept.
    const ok = readState(JSON.stringify({ version: 1, savedAt: 5, containers: { abc: entry({ unresolved: true, held: 1_800_000_000_000 }) } }));
    expect(ok.containers.get('abc')?.alerts).toEqual({ unresolved: true, held: 1_800_000_000_000 });
    expect(ok.dropped).toEqual([]);
  });
});
