import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';
import { STOP_SIGNAL_WINDOW_MS, stopWindowMs } from '../../src/watchdog/stop-window.ts';

// A stop under way lasts the container's own stop grace (Config.StopTimeout) when that is longer than
// 60 s: review 14 found a database given --stop-timeout 90 restarted by healer 60 s into its docker stop.
const raw = (name: string): Docker.ContainerInspectInfo =>
  JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo;
const withTimeout = (t: number | null): Docker.ContainerInspectInfo => {
  const r = raw('host-network');
  return { ...r, Config: { ...r.Config, StopTimeout: t } } as unknown as Docker.ContainerInspectInfo;
};
const kill: ContainerEvent = { id: 'c1', name: 'db', action: 'kill', health: undefined, exitCode: undefined, signal: '15', labels: {}, time: 0 };

describe('the stop grace, as inspect says it', () => {
  it('Docker: unset (no StopTimeout) is the engine default of 10 s; --stop-timeout 90 is 90 s; a negative one never ends', () => {
    expect(toContainerInfo(raw('host-network')).stopTimeoutMs).toBe(10_000);
    expect(toContainerInfo(withTimeout(null)).stopTimeoutMs).toBe(10_000);
    expect(toContainerInfo(withTimeout(90)).stopTimeoutMs).toBe(90_000);
    expect(toContainerInfo(withTimeout(-1)).stopTimeoutMs).toBe(Infinity);
  });

  it("Podman (recorded): its StopTimeout is always there, 10 by default", () => {
    expect(toContainerInfo(raw('podman-published')).stopTimeoutMs).toBe(10_000);
  });
});

describe('the window of an operator stop signal', () => {
  it('is 60 s for graces up to 50 s, the grace and a margin beyond', () => {
    expect(stopWindowMs(undefined)).toBe(STOP_SIGNAL_WINDOW_MS);
    expect(stopWindowMs(10_000)).toBe(STOP_SIGNAL_WINDOW_MS);
    expect(stopWindowMs(90_000)).toBeGreaterThan(90_000);
    expect(stopWindowMs(Infinity)).toBe(Infinity);
  });

  it('a docker stop of a container with a 90 s grace is under way at 75 s and over once the grace (and margin) passed', () => {
    const r = new EventReader();
    r.read(kill, 1000, undefined, 90_000);
    expect(r.stopSignalled(1000 + 75_000)).toBe(true);
    expect(r.stopUntil).toBe(1000 + stopWindowMs(90_000));
    expect(r.stopSignalled(1000 + stopWindowMs(90_000) + 1)).toBe(false);
  });

  it('a default 10 s grace keeps the 60 s window', () => {
    const r = new EventReader();
    r.read(kill, 1000, undefined, 10_000);
    expect(r.stopSignalled(1000 + 60_000)).toBe(true);
    expect(r.stopSignalled(1000 + 60_001)).toBe(false);
  });

  it('a grace with no end holds until the container exits', () => {
    const r = new EventReader();
    r.read(kill, 1000, undefined, Infinity);
    expect(r.stopSignalled(1000 + 3_600_000)).toBe(true);
    r.read({ ...kill, action: 'die', exitCode: 0 }, 1000 + 3_600_001, undefined, Infinity);
    expect(r.stopSignalled(1000 + 3_600_002)).toBe(false);
  });
});
