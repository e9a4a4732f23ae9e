import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { Breaker } from '../../src/watchdog/breaker.ts';
import type { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { steppedClock } from '../helpers/fake-stepped-clock.ts';

// Review 25c. Trigger: healer is restarted while the mass-failure breaker is open (state file
// breaker.pausedSince). The next healer syncs, finds the breaker closed (nothing fails any more) and
// holds it open for 30 s (keptUntil = now() + 30 s, on the WALL clock). Within those 30 s the wall clock
// is stepped back an hour (chrony makestep at boot is the typical moment: right after a host reboot,
// which is also when healer restarts). The 30 s timer fires on monotonic time, but judgeKept compares
// the stepped now() with keptUntil: still "before" it for the next hour. Every 30 s reassessment says
// the same, so restarts stay paused for an hour with no container failing, no `resumed`, and no alert
// saying restarts are held (harm by omission: a container that needs a restart meanwhile gets none).
// clock-step.ts clamps every other kept time for this; the breaker's hold is not clamped.

const watch = (failing: boolean): ContainerWatch =>
  ({ policy: { action: 'restart' }, failing, state: { pending: undefined }, confirmsByProbe: true }) as unknown as ContainerWatch;

describe('review25c: a kept breaker and a wall clock stepped back', () => {
  it('resumes within about a minute of the step, not an hour later', async () => {
    const c = steppedClock();
    const alerts: AlertInput[] = [];
    let kept: number | undefined = c.clock.now() - 60_000;
    const watches = [watch(false), watch(false), watch(false), watch(false)];
    const b = new Breaker({
      clock: c.clock,
      log: pino({ level: 'silent' }),
      alerter: { emit: (a: AlertInput) => void alerts.push(a), containerGone: () => undefined },
      history: NO_HISTORY,
      guards: { fraction: 0.5, min_containers: 4 },
      watches: () => watches,
      context: () => ({ heldBy: undefined, paused: false }),
      kept: { get breaker() { return kept; }, setBreaker: (s: number | undefined) => void (kept = s) },
    });
    b.start();
    expect(b.open).toBe(true);
    b.synced();
    await c.pass(5_000);
    c.step(-3_600_000); // an hour back, 5 s into the 30 s hold
    await c.pass(120_000); // four reassessments later, nothing failing all along
    b.stop();
    expect(b.open).toBe(false);
    expect(alerts.filter((a) => a.event === 'resumed')).toHaveLength(1);
  });

  it('(control) resumes after its 30 s hold when the clock is not stepped', async () => {
    const c = steppedClock();
    const alerts: AlertInput[] = [];
    let kept: number | undefined = c.clock.now() - 60_000;
    const b = new Breaker({
      clock: c.clock,
      log: pino({ level: 'silent' }),
      alerter: { emit: (a: AlertInput) => void alerts.push(a), containerGone: () => undefined },
      history: NO_HISTORY,
      guards: { fraction: 0.5, min_containers: 4 },
      watches: () => [watch(false), watch(false), watch(false), watch(false)],
      context: () => ({ heldBy: undefined, paused: false }),
      kept: { get breaker() { return kept; }, setBreaker: (s: number | undefined) => void (kept = s) },
    });
    b.start();
    b.synced();
    await c.pass(35_000);
    b.stop();
    expect(b.open).toBe(false);
    expect(alerts.filter((a) => a.event === 'resumed')).toHaveLength(1);
    expect(kept).toBeUndefined();
  });
});
