import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { Breaker } from '../../src/watchdog/breaker.ts';
import type { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { steppedClock } from '../helpers/fake-stepped-clock.ts';

// A healer stopped (SIGTERM) within a kept breaker's 30 s hold: the hold's one-off timer must not fire
// after stop() and send `resumed` from a healer that no longer acts (the next healer owes that end: the
// breaker stays in the state file), nor may a change reported during shutdown (reassess) do it.

const watch = (): ContainerWatch =>
  ({ policy: { action: 'restart' }, failing: false, state: { pending: undefined }, confirmsByProbe: true }) as unknown as ContainerWatch;

describe('Breaker.stop within a kept breaker hold', () => {
  it('sends no resumed and keeps the breaker in the state file', async () => {
    const c = steppedClock();
    const alerts: AlertInput[] = [];
    let kept: number | undefined = c.clock.now() - 60_000;
    const b = new Breaker({
      clock: c.clock,
      log: pino({ level: 'silent' }),
      alerter: { emit: (a: AlertInput) => void alerts.push(a), containerGone: () => undefined },
      history: NO_HISTORY,
      guards: { fraction: 0.5, min_containers: 4 },
      watches: () => [watch(), watch(), watch(), watch()],
      context: () => ({ heldBy: undefined, paused: false }),
      kept: { get breaker() { return kept; }, setBreaker: (s: number | undefined) => void (kept = s) },
    });
    b.start();
    b.synced();
    await c.pass(5_000);
    b.stop();
    await c.pass(60_000);
    b.reassess(); // an in-flight probe's result during shutdown
    expect(alerts).toEqual([]);
    expect(b.open).toBe(true);
    expect(kept).toBeDefined();
  });
});
