import { describe, expect, it } from 'vitest';
import type { ProbePolicy } from '../../src/config/policy.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';
import type { Input, Track } from '../../src/watchdog/machine-types.ts';
import { noteSurvival, type SurvivalView } from '../../src/watchdog/stop-survival.ts';
import { STOP_SIGNAL_WINDOW_MS, survivalAfterMs } from '../../src/watchdog/stop-window.ts';

// Session 24: a stop whose grace has no end (`docker run --stop-timeout -1`: StopTimeout < 0, the engine
// waits for the exit for ever and never kills).
//
// Trigger (fails on main): the container survives the stop signal (its app traps SIGTERM and runs on, or
// the operator's `docker stop` is interrupted) and later fails its check. On main the stop signal's window
// was Infinity, so healer held that container's restarts for ever (never healed again until re-created,
// nothing logged), and took its next crash, days later, for an operator's stop.
// What should happen: once the container is seen passing its check well after the signal (survivalAfterMs),
// its stop is over: restarts resume, logged. While it fails its check all along it may still be exiting:
// held, and said once.
const kill: ContainerEvent = { id: 'c1', name: 'db', action: 'kill', health: undefined, exitCode: undefined, signal: '15', labels: {}, time: 0 };
const up = (u: boolean | undefined): Track => ({ failures: 0, successes: 0, up: u, failingSince: undefined });

function view(kind: 'http' | 'docker', healthcheck?: { intervalMs: number; timeoutMs: number; retries: number }) {
  const logs: { level: 'info' | 'warn'; msg: string }[] = [];
  const w: SurvivalView & { state: { liveness: Track } } = {
    events: new EventReader(),
    policy: { liveness: { spec: { kind } } as unknown as ProbePolicy },
    info: { healthcheck },
    state: { liveness: up(true) },
    log: { info: (_o: unknown, msg: string) => void logs.push({ level: 'info', msg }), warn: (_o: unknown, msg: string) => void logs.push({ level: 'warn', msg }) } as unknown as SurvivalView['log'],
  };
  return { w, logs };
}
const probe = (ok: boolean, at: number): Input => ({ type: 'probe', role: 'liveness', ok, at });

describe('a stop signal with no end that the container survives', () => {
  it('healer probe: a passing probe past the window ends the stop; restarts and crash reading resume', () => {
    const { w, logs } = view('http');
    w.events.read(kill, 1000, undefined, Infinity);
    // Inside the window a passing probe is no proof (an app may serve a moment after its signal).
    noteSurvival(w, probe(true, 30_000), 30_000);
    expect(w.events.stopSignalled(30_000)).toBe(true);
    noteSurvival(w, probe(true, 1000 + STOP_SIGNAL_WINDOW_MS), 1000 + STOP_SIGNAL_WINDOW_MS);
    expect(w.events.stopSignalled(1000 + STOP_SIGNAL_WINDOW_MS + 1)).toBe(false);
    expect(logs.map((l) => l.level)).toEqual(['info']);
    // A crash a day later is a crash, not the operator's stop.
    expect(w.events.read({ ...kill, action: 'die', exitCode: 1 }, 86_400_000, undefined, Infinity)).toMatchObject({ type: 'stopped', by: 'exit' });
  });

  it('failing its probe all along: held (it may still be exiting), said once', () => {
    const { w, logs } = view('http');
    w.events.read(kill, 1000, undefined, Infinity);
    for (let t = 2000; t < 600_000; t += 10_000) noteSurvival(w, probe(false, t), t);
    expect(w.events.stopSignalled(600_000)).toBe(true);
    expect(logs.map((l) => l.level)).toEqual(['warn']);
  });

  it('HEALTHCHECK: still healthy once its retries could have turned it unhealthy is survival; before that it is not', () => {
    const hc = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3 };
    const after = survivalAfterMs(hc);
    expect(after).toBeGreaterThan(3 * 60_000);
    const { w, logs } = view('docker', hc);
    w.events.read(kill, 1000, undefined, Infinity);
    const unhealthy: Input = { type: 'health', status: 'unhealthy', at: 0 };
    noteSurvival(w, unhealthy, 1000 + after - 1); // a draining app's checks turning it unhealthy in time
    expect(w.events.stopSignalled(1000 + after)).toBe(true);
    noteSurvival(w, unhealthy, 1000 + after + 3_600_000); // healthy for an hour after the signal, then broken
    expect(w.events.stopSignalled(1000 + after + 3_600_000)).toBe(false);
    expect(logs.map((l) => l.level)).toEqual(['info']);
  });

  it('HEALTHCHECK unhealthy before the signal and after: held, said once at the wake of the held decision', () => {
    const { w, logs } = view('docker', { intervalMs: 1000, timeoutMs: 1000, retries: 3 });
    w.state.liveness = up(false);
    w.events.read(kill, 1000, undefined, Infinity);
    for (let t = 61_000; t < 600_000; t += 60_000) noteSurvival(w, { type: 'tick', at: t }, t);
    expect(w.events.stopSignalled(600_000)).toBe(true);
    expect(logs.map((l) => l.level)).toEqual(['warn']);
    noteSurvival(w, { type: 'health', status: 'healthy', at: 700_000 }, 700_000); // its checks pass again
    expect(w.events.stopSignalled(700_000)).toBe(false);
  });

  it('HEALTHCHECK still healthy past the floor: survival only once checks run after it could have said otherwise', () => {
    const hc = { intervalMs: 5_000, timeoutMs: 2_000, retries: 3 };
    const { w, logs } = view('docker', hc);
    w.events.read(kill, 1000, undefined, Infinity);
    const mark = 1000 + survivalAfterMs(hc);
    // Its `healthy` may be the stale verdict of checks before the mark (a drain passing for 50 s).
    noteSurvival(w, { type: 'tick', at: mark + 20_000 }, mark + 20_000);
    expect(w.events.stopSignalled(mark + 20_000)).toBe(true);
    noteSurvival(w, { type: 'tick', at: mark + 31_000 }, mark + 31_000);
    expect(w.events.stopSignalled(mark + 31_000)).toBe(false);
    expect(logs.map((l) => l.level)).toEqual(['info']);
  });

  it('a finite grace is left to its window', () => {
    const { w, logs } = view('http');
    w.events.read(kill, 1000, undefined, 10_000);
    noteSurvival(w, probe(true, 61_000), 61_000);
    expect(w.events.stopSignalled(61_000)).toBe(true);
    expect(logs).toEqual([]);
  });
});
