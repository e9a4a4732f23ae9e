import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { webhook } from '../../src/alerting/providers/webhook.ts';
import { Channel } from '../../src/alerting/channel.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { Agent } from 'undici';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { machineRules } from '../helpers/machine-rules.ts';
import { receiver } from '../helpers/receiver.ts';
import { initialState, step } from '../../src/watchdog/state-machine.ts';
import { probedWatch, steppedClock } from '../helpers/fake-stepped-clock.ts';

// Eleventh adversarial review. Fails on the reviewed code.
//
// healer reads the wall clock (Date.now, systemClock) for every plan and compares plans made before with
// the wall clock after, while its timers run on monotonic time. When the wall clock is stepped backwards
// (NTP/chrony `makestep` at boot on a host whose RTC is ahead, a VM restored from a snapshot, an
// operator's `date -s`), every plan made before the step lies that far in the future:
//
// 1. probe schedules (schedule.ts nextRun: `previousPlanned + interval` while now is an hour earlier)
//    are set for an hour later: no probe runs for the size of the step, and /healthz does not notice
//    (overdueMs is now - planned, negative), so a container that dies meanwhile is never healed;
// 2. a backoff (budget.ts notBefore: lastRestartAt + delay) holds a decided restart for the step on top
//    of the backoff, past `backoff.max` (README: a failing liveness probe is acted on within
//    (failures + 1) × interval + backoff.max);
// 3. (the same in alerting) a channel's rate limit (channel.ts takeToken) refills by Date.now() -
//    refilledAt: negative after the step, so the bucket goes ~1,800 tokens into debt per hour of step at
//    30/min and the next alert of that channel sleeps for the size of the step: alerts stop for an hour.
//
// The same plans persisted in the state file (lastRestartAt, restarts, healthySince, written with the
// wall clock) keep a restart held, a crash loop open and a reset from coming for the size of the error
// when healer starts on a clock that was wrong (ahead) when the file was written.

describe('review11: the wall clock stepped backwards', () => {
  it('keeps probing every interval after the clock is stepped back by an hour', async () => {
    // The clock as this review's test built it: without monotonic() (healer measures by now()).
    const c = steppedClock(undefined, { monotonic: false });
    let probes = 0;
    const w = probedWatch(c.clock, { run: () => (probes++, Promise.resolve({ ok: true, latencyMs: 1 })) });
    w.start();
    await c.pass(5_000);
    expect(probes).toBeGreaterThanOrEqual(4);
    c.step(-3_600_000); // chrony steps the clock back by an hour
    const before = probes;
    await c.pass(10_000);
    // Every second, as the label says: about 10 probes in 10 s.
    expect(probes - before, 'probes in the 10 s after the step').toBeGreaterThanOrEqual(8);
    await w.close();
  });

  const rules = machineRules();
  const T = 1_800_000_000_000;
  const HOUR = 3_600_000;

  it('counts the failures of a container started before the step (start_period 0s)', () => {
    const s = initialState({ running: true, startedAt: T });
    // Stepped back by an hour; a minute later the container fails.
    const out = step(s, { type: 'probe', role: 'liveness', ok: false, at: T - HOUR + 60_000 }, rules);
    expect(out.actions.map((a) => (a.type === 'notify' ? a.event : a.type))).toEqual(['unhealthy', 'restart']);
  });

  it('restarts a failing container once its backoff has passed in real time, though the clock was stepped back meanwhile', () => {
    // First failure: restarted at once (lastRestartAt = T). The clock is stepped back by an hour while
    // the engine restarts it, and the engine answers a second later.
    let out = step(initialState({ running: true, startedAt: T - 60_000 }), { type: 'probe', role: 'liveness', ok: false, at: T }, rules);
    expect(out.actions.map((a) => a.type)).toContain('restart');
    const s = step(out.state, { type: 'restart_done', ok: true, at: T + 1_000 - HOUR }, rules).state;
    // 6 minutes of real time later (past backoff.max, 5m) it fails again.
    const later = T + 1_000 - HOUR + 6 * 60_000;
    out = step(s, { type: 'probe', role: 'liveness', ok: false, at: later }, rules);
    const wake = out.actions.find((a) => a.type === 'wake');
    expect(out.actions.map((a) => a.type), `restart held until ${wake?.type === 'wake' ? `${Math.round((wake.at - later) / 60_000)} min later` : '?'}`).toContain('restart');
  });
});

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

describe('review11: the wall clock stepped backwards, alert delivery', () => {
  it("delivers a channel's next alert at once (the rate limit is not in debt for the size of the step)", async () => {
    const r = await receiver();
    const ch = new Channel(webhook({ name: 'hook', url: r.url, headers: {} }, dispatcher), undefined, { timeoutMs: 1000, retries: 0, queue: 10, windowMs: 60_000, perMinute: 30 }, pino({ level: 'silent' }));
    const alert = (name: string): Alert => ({ event: 'unhealthy', severity: 'warning', summary: `${name} is unhealthy`, reason: 'test', host: 'h', container: { id: name, name, image: 'i', project: undefined, service: undefined }, at: new Date().toISOString() });
    const realNow = Date.now.bind(Date);
    try {
      ch.push(alert('a'));
      for (let i = 0; i < 40 && r.got.length < 1; i++) await sleep(50);
      expect(r.got).toHaveLength(1);
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000); // stepped back by an hour
      ch.push(alert('b'));
      for (let i = 0; i < 40 && r.got.length < 2; i++) await sleep(50);
      expect(r.got.map((g) => (g.body as { alert: { summary: string } }).alert.summary), 'delivered within 2 s of the step').toEqual(['a is unhealthy', 'b is unhealthy']);
    } finally {
      vi.restoreAllMocks();
      await ch.flush(100);
      await r.close();
    }
  });
});
