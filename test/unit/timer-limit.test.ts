import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS } from '../../src/config/fields.ts';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { Prober } from '../../src/probes/types.ts';
import { systemClock, type Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';
import type { PersistedContainer } from '../../src/watchdog/state-file.ts';
import { delayUntil, timerAt } from '../../src/watchdog/timer-limit.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Node fires a timer longer than 2^31-1 ms (~24.8 days) after 1 ms, with a TimeoutOverflowWarning. A
// deadline past it comes from the state file's times when the clock is behind them (a board whose clock
// lost its time) or from a cron schedule's next run (a yearly one); a caller re-arming toward it spun.

const DAY = 24 * 3_600_000;

/** Counts the TimeoutOverflowWarnings Node emits while `run` waits. */
async function overflowWarnings(run: () => Promise<void>): Promise<number> {
  let n = 0;
  const onWarning = (w: Error): void => void (w.name === 'TimeoutOverflowWarning' && n++);
  process.on('warning', onWarning);
  try {
    await run();
  } finally {
    process.off('warning', onWarning);
  }
  return n;
}

describe('timer-limit: deadlines past Node\'s timer limit', () => {
  it('delayUntil never exceeds the limit nor goes negative', () => {
    expect(delayUntil(1000 + 40 * DAY, 1000)).toBe(MAX_DURATION_MS);
    expect(delayUntil(500, 1000)).toBe(0);
    expect(delayUntil(6000, 1000)).toBe(5000);
  });

  it('timerAt waits in steps of the limit and calls its function once, at its time', () => {
    let now = 0;
    const armed: { fn: () => void; ms: number }[] = [];
    const clock: Clock = { now: () => now, setTimeout: (fn, ms) => (armed.push({ fn, ms }), {}), clearTimeout: () => undefined };
    let calls = 0;
    const kept: object[] = [];
    timerAt(clock, 40 * DAY, () => calls++, (t) => kept.push(t));
    expect(armed.map((a) => a.ms)).toEqual([MAX_DURATION_MS]);
    now += MAX_DURATION_MS;
    armed[0]?.fn(); // early: waits on, does not call
    expect(calls).toBe(0);
    expect(armed.map((a) => a.ms)).toEqual([MAX_DURATION_MS, 40 * DAY - MAX_DURATION_MS]);
    now = 40 * DAY;
    armed[1]?.fn();
    expect(calls).toBe(1);
    expect(kept).toHaveLength(2); // each timer handed over, for the caller to clear
  });
});

function watch(labels: Record<string, string>, persisted?: PersistedContainer) {
  const result = policyFromLabels({ labels, prefix: 'healer', containerName: 'api', rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const counts = { probes: 0, acted: 0, ticks: 0 };
  const prober: Prober = { run: () => (counts.probes++, Promise.resolve({ ok: false, latencyMs: 1 })) };
  const w = new ContainerWatch(
    { ...syntheticContainer(0, {}), name: 'api' },
    result.policy,
    {
      probers: { http: prober, tcp: prober, exec: prober },
      observer: NO_OBSERVER,
      clock: systemClock,
      log: pino({ level: 'silent' }),
      effects: { act: () => (counts.acted++, Promise.resolve()), notify: (_w, a) => void (a.type === 'wake' && counts.ticks++), context: () => ({ heldBy: undefined, paused: false }), changed: () => undefined },
      route: (w) => ({ ok: true, target: { containerId: w.id, address: '127.0.0.1' } }),
      dryRun: false,
    },
    persisted,
  );
  return { w, counts };
}

describe('ContainerWatch timers past Node\'s timer limit', () => {
  it('a yearly cron probe is not run every millisecond', async () => {
    const { w, counts } = watch({ 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.schedule': '0 0 0 1 1 *' });
    const warnings = await overflowWarnings(async () => {
      w.start();
      await sleep(200);
      await w.close();
    });
    expect(warnings).toBe(0);
    expect(counts.probes).toBe(0); // before: the 1 ms timer probed at once, and again each turn
  });

  it('a restart whose backoff ends past the limit (a state file ahead of the clock) waits: no wake every millisecond, no restart', async () => {
    const ahead = Date.now() + 40 * DAY;
    const persisted: PersistedContainer = { name: 'api', budget: { restarts: [ahead], level: 1, lastRestartAt: ahead, loop: 'closed', healthySince: undefined }, lastExit: undefined, lifecycle: 'running', restartCount: 0 };
    const { w, counts } = watch({ 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.interval': '1h', 'healer.liveness.failures': '1' }, persisted);
    const warnings = await overflowWarnings(async () => {
      w.feed({ type: 'probe', role: 'liveness', ok: false, at: Date.now() });
      await sleep(200);
      await w.close();
    });
    expect(warnings).toBe(0);
    expect(counts.ticks).toBeLessThanOrEqual(1); // the wake is told once (before: again every millisecond)
    expect(counts.acted).toBe(0);
  });
});
