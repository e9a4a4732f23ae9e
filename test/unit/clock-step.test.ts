import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { machineRules } from '../helpers/machine-rules.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';
import { nextRun } from '../../src/watchdog/schedule.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { alertDue, pruned, taskFailed, type SlotRules } from '../../src/watchdog/task-slots.ts';
import { initialState, resumeExited, step, type Rules } from '../../src/watchdog/state-machine.ts';
import { Metrics } from '../../src/metrics.ts';
import { startServer } from '../../src/server.ts';
import { probedWatch, steppedClock } from '../helpers/fake-stepped-clock.ts';

// The wall clock stepped (chrony at boot, a restored VM, `date -s`), both ways: what healer must still do.

const T = 1_800_000_000_000;
const HOUR = 3_600_000;
const rules = machineRules({ liveness: { failures: 1, successes: 1, startPeriodMs: 30_000 }, restartOnExit: true });
const kinds = (actions: readonly { type: string; event?: string }[]): string[] => actions.map((a) => (a.type === 'notify' ? `notify:${a.event}` : a.type));

describe('clock steps: the probe loop and /healthz', () => {
  it('a step forward is not a stalled probe loop, and probes go on every interval', async () => {
    const c = steppedClock();
    const w = probedWatch(c.clock);
    w.start();
    await c.pass(3_000);
    c.step(HOUR);
    expect(w.overdueMs(c.clock.monotonic?.() ?? 0)).toBe(0);
    await c.pass(1_500);
    expect(w.overdueMs(c.clock.monotonic?.() ?? 0)).toBe(0);
    expect(w.last.liveness?.at).toBeGreaterThan(T + HOUR);
    await w.close();
  });

  it('a loop that stopped firing is still reported after a step back', async () => {
    const c = steppedClock();
    const w = probedWatch(c.clock);
    w.start();
    await c.pass(3_000);
    c.step(-HOUR);
    c.stall(60_000);
    expect(w.overdueMs(c.clock.monotonic?.() ?? 0)).toBeGreaterThanOrEqual(59_000);
    await w.close();
  });

  it('plans the next run an interval from now when the last plan is far ahead (clock stepped back)', () => {
    expect(nextRun({ intervalMs: 10_000, schedule: undefined }, T - HOUR, T)).toBe(T - HOUR + 10_000);
    expect(nextRun({ intervalMs: 10_000, schedule: undefined }, T + 4_000, T)).toBe(T + 10_000); // on the grid
  });
});

describe('clock steps: the state machine', () => {
  it('ends a start period counted from a start stamped before a step back, once that long has passed after it', () => {
    let s = initialState({ running: true, startedAt: T });
    const early = step(s, { type: 'probe', role: 'liveness', ok: false, at: T - HOUR + 1_000 }, rules);
    expect(kinds(early.actions)).toEqual([]); // within the start period, counted from the step
    s = early.state;
    expect(s.startedAt).toBe(T - HOUR + 1_000);
    expect(kinds(step(s, { type: 'probe', role: 'liveness', ok: false, at: T - HOUR + 31_000 }, rules).actions)).toEqual(['notify:unhealthy', 'restart']);
  });

  it('leaves times kept a few seconds after an input that carries its event time (an exit read late) as they are', () => {
    const budget = { restarts: [T], level: 1, lastRestartAt: T, loop: 'closed' as const, healthySince: undefined };
    const s = initialState({ running: true, startedAt: T, budget });
    const out = step(s, { type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: T - 5_000 }, rules);
    expect(out.state.budget.lastRestartAt).toBe(T);
    expect(out.state.startedAt).toBe(T);
  });

  it('resumes an exit from a state file written on a clock an hour ahead without holding the start for the hour', () => {
    const budget = { restarts: [T + HOUR], level: 1, lastRestartAt: T + HOUR, loop: 'closed' as const, healthySince: undefined };
    const s = initialState({ running: false, startedAt: T + HOUR - 60_000, budget, lastExit: { at: T + HOUR, exitCode: 1, oom: false } });
    const out = resumeExited(s, T, rules);
    const wake = out.actions.find((a) => a.type === 'wake');
    // A restart stamped "in an hour" counts as one just now: its backoff (10 s) from now, not from the hour.
    expect(wake?.type === 'wake' ? wake.at : undefined).toBe(T + 10_000);
    expect(out.state.budget.lastRestartAt).toBe(T);
    expect(out.state.lastExit?.at).toBe(T);
  });

  it("holds a quarantine stop's retry no longer than backoff.max after a step back, and asks to be woken for it", () => {
    const quarantine: Rules = { ...rules, action: 'stop' };
    const s = { ...initialState({ running: true, startedAt: T - HOUR }), pending: { kind: 'restart' as const, reason: 'r', cause: 'liveness' as const, notBefore: T + 60_000 } };
    // The retry's wake fires a minute later in real time, an hour early on the stepped clock.
    const out = step(s, { type: 'tick', at: T - HOUR + 60_000 }, quarantine);
    expect(out.state.pending?.notBefore).toBe(T - HOUR + 60_000 + rules.backoff.maxMs);
    expect(out.actions).toEqual([{ type: 'wake', at: T - HOUR + 60_000 + rules.backoff.maxMs, reason: 'r', purpose: 'backoff' }]);
    // Planned within backoff.max: kept as planned; when it is due, the stop is sent.
    expect(step(s, { type: 'tick', at: T }, quarantine).state.pending?.notBefore).toBe(T + 60_000);
    expect(kinds(step(s, { type: 'tick', at: T + 60_000 }, quarantine).actions)).toEqual(['stop']);
  });

  it('after a step forward, restarts before it have left the crash-loop window: a failure is restarted, not a crash loop', () => {
    const budget = { restarts: [T - 4_000, T - 3_000, T - 2_000, T - 1_000, T], level: 5, lastRestartAt: T, loop: 'closed' as const, healthySince: undefined };
    const s = initialState({ running: true, startedAt: T - HOUR, budget });
    const out = step(s, { type: 'probe', role: 'liveness', ok: false, at: T + HOUR }, rules);
    expect(kinds(out.actions)).toEqual(['notify:unhealthy', 'restart']);
  });
});

describe('clock steps: stop signals', () => {
  const ev = (action: string, extra: Partial<ContainerEvent> = {}): ContainerEvent => ({ id: 'c1', name: 'api', action, health: undefined, exitCode: undefined, signal: undefined, labels: {}, time: 0, ...extra });

  it('a stop signal the container survived, stamped before a step back, holds for its window from the step, not the hour', () => {
    const r = new EventReader();
    r.read(ev('kill', { signal: 'SIGTERM' }), T, undefined);
    expect(r.stopSignalled(T - HOUR)).toBe(true); // a stop under way at the step is still one
    expect(r.stopSignalled(T - HOUR + 61_000)).toBe(false);
    expect(r.read(ev('die', { exitCode: 1 }), T - HOUR + 120_000, undefined)).toEqual({ type: 'stopped', by: 'exit', at: T - HOUR + 120_000, exitCode: 1, oom: false });
  });

  it('a die in the window after a step back is still an operator stop', () => {
    const r = new EventReader();
    r.read(ev('kill', { signal: 'SIGTERM' }), T, undefined);
    expect(r.read(ev('die', { exitCode: 143 }), T - HOUR, undefined)).toEqual({ type: 'stopped', by: 'operator', at: T - HOUR });
  });
});

describe('clock steps: a Swarm slot', () => {
  const slotRules: SlotRules = { restarts: 1, windowMs: 600_000, throttleMs: 60_000 };
  const exit1 = { kind: 'exit', exitCode: 1 } as const;

  it('a slot looping before a step back is forgotten a window after the step, and alerts again after the throttle', () => {
    let r = taskFailed(undefined, 't1', T - 10_000, exit1, slotRules.windowMs);
    r = { ...taskFailed(r, 't2', T, exit1, slotRules.windowMs), alertedAt: T };
    // An hour back, a third task fails: the loop's alert is due after the throttle window from the step.
    const at = T - HOUR;
    const next = taskFailed(r, 't3', at, exit1, slotRules.windowMs);
    expect(next.failures.map((f) => f.at)).toEqual([at, at, at]);
    expect(alertDue(next, at, slotRules)).toBe(false);
    expect(alertDue(next, at + 60_000, slotRules)).toBe(true);
    expect(pruned(next, at + 600_000, slotRules.windowMs)).toBeUndefined();
  });
});

describe('clock steps: the state file', () => {
  afterEach(() => void vi.restoreAllMocks());

  it('writes a change at once after a step back, not after the step', async () => {
    const path = `${mkdtempSync(`${tmpdir()}/healer-clock-step-`)}/state.json`;
    const file = new StateFile(path, pino({ level: 'silent' }));
    const entry = (restartCount: number) => ({ name: 'api', budget: { restarts: [], level: 0, lastRestartAt: undefined, loop: 'closed' as const, healthySince: undefined }, lastExit: undefined, lifecycle: 'running' as const, restartCount });
    file.set('a', entry(1));
    await file.flush();
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - HOUR);
    file.set('a', entry(2));
    for (let i = 0; i < 40 && !(existsSync(path) && readFileSync(path, 'utf8').includes('"restartCount":2')); i++) await sleep(50);
    expect(readFileSync(path, 'utf8')).toContain('"restartCount":2');
  });
});

describe('clock steps: the wrong-token limit', () => {
  it('an address limited before a step back may try again a minute later, not an hour', async () => {
    const c = steppedClock();
    const sources = { watchdog: undefined, alerter: undefined };
    const server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: 'a-token-of-twenty-chars', metrics: new Metrics(sources), sources, clock: c.clock, log: pino({ level: 'silent' }) });
    try {
      const get = (token: string) => fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      for (let i = 0; i < 11; i++) await get(`wrong-${i}`);
      expect(await get('a-token-of-twenty-chars')).toBe(429);
      c.step(-HOUR);
      await c.pass(61_000);
      expect(await get('a-token-of-twenty-chars')).toBe(200);
    } finally {
      await server.close();
    }
  });
});
