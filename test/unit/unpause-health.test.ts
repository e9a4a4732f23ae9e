import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import type { ContainerInfo, HealthRun } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { settleMs, sinceUnpause } from '../../src/watchdog/unpause-health.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Docker keeps running a paused container's HEALTHCHECK, each check refused: an `unhealthy` at the
// unpause may be the pause's alone (review 14). It counts once checks made since the unpause confirm it.
const hc = { intervalMs: 200, timeoutMs: 200, retries: 2 };
const base = (log: HealthRun[] | undefined): ContainerInfo => ({ ...syntheticContainer(1, {}), hasHealthcheck: true, health: 'unhealthy', healthcheck: hc, healthLog: log });
const run = (start: number, ok: boolean): HealthRun => ({ start, end: start + 5, ok });

describe('sinceUnpause: the verdict of the checks made since an unpause', () => {
  it('none since: not told yet; refused checks of the pause do not count', () => {
    expect(sinceUnpause(base([run(100, false), run(200, false), run(300, false)]), 1000)).toBeUndefined();
    expect(sinceUnpause(base(undefined), 1000)).toBeUndefined();
  });
  it('one failing since, of 2 retries: not yet; two: unhealthy; the last passing: healthy', () => {
    expect(sinceUnpause(base([run(100, false), run(1100, false)]), 1000)).toBeUndefined();
    expect(sinceUnpause(base([run(100, false), run(1100, false), run(1300, false)]), 1000)).toBe('unhealthy');
    expect(sinceUnpause(base([run(100, false), run(1100, true)]), 1000)).toBe('healthy');
  });
  it('waits at most retries intervals and a timeout (and a margin)', () => {
    expect(settleMs(base(undefined))).toBe(2 * 200 + 200 + 5000);
  });
});

describe('the engine forms of a HEALTHCHECK, from inspect', () => {
  it('Docker: timing in ns with its defaults; State.Health.Log with its times', () => {
    const raw = {
      Id: 'x', Name: '/x', Image: 'sha256:1',
      State: { Running: true, Health: { Status: 'unhealthy', FailingStreak: 3, Log: [
        { Start: '2026-11-24T04:30:00.123456789Z', End: '2026-11-24T04:30:00.223456789Z', ExitCode: -1, Output: 'cannot exec in a paused container' },
        { Start: '2026-11-24T04:30:01.000000000Z', End: '2026-11-24T04:30:01.100000000Z', ExitCode: 0, Output: '' },
      ] } },
      Config: { Labels: {}, Healthcheck: { Test: ['CMD', 'true'], Interval: 500_000_000 } },
      HostConfig: {},
    } as unknown as Docker.ContainerInspectInfo;
    const info = toContainerInfo(raw);
    expect(info.healthcheck).toEqual({ intervalMs: 500, timeoutMs: 30_000, retries: 3 });
    expect(info.healthLog).toEqual([
      { start: Date.parse('2026-11-24T04:30:00.123Z'), end: Date.parse('2026-11-24T04:30:00.223Z'), ok: false },
      { start: Date.parse('2026-11-24T04:30:01Z'), end: Date.parse('2026-11-24T04:30:01.100Z'), ok: true },
    ]);
  });
  it('no HEALTHCHECK: no timing', () => {
    const raw = { Id: 'x', Name: '/x', Image: 'i', State: { Running: true }, Config: { Labels: {}, Healthcheck: { Test: ['NONE'] } }, HostConfig: {} } as unknown as Docker.ContainerInspectInfo;
    expect(toContainerInfo(raw).healthcheck).toBeUndefined();
    expect(toContainerInfo(raw).healthLog).toBeUndefined();
  });
});

describe('a HEALTHCHECK container turned unhealthy while paused, whose checks still fail after the unpause', () => {
  const fw = fakeWatchdogs('healer-unpause-');

  it('is restarted once `retries` checks made since the unpause failed, not at the unpause', { timeout: 20_000 }, async () => {
    const labels = { 'healer.enable': 'true', 'healer.restart.timeout': '1s' };
    let app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'backup', hasHealthcheck: true, health: 'healthy', healthcheck: hc, healthLog: [] };
    const fake = fakeEngine([app]);
    const engine = fake.engine as unknown as { inspect(id: string): Promise<ContainerInfo | undefined>; openEvents(): Promise<Readable> };
    engine.inspect = (id: string) => Promise.resolve(id === app.id ? app : undefined);
    const stream = new PassThrough();
    engine.openEvents = () => Promise.resolve(stream);
    const send = (Action: string, at = Date.now()): void => {
      stream.write(`${JSON.stringify({ Type: 'container', Action, Actor: { ID: app.id, Attributes: { name: app.name, ...labels } }, time: Math.floor(at / 1000), timeNano: at * 1e6 })}\n`);
    };
    const ok: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
    const wd = fw.watchdog({ engine: fake.engine, prober: ok });
    await wd.start();
    await new Promise((r) => setTimeout(r, 300));
    app = { ...app, paused: true };
    send('pause');
    await new Promise((r) => setTimeout(r, 100));
    app = { ...app, health: 'unhealthy', healthLog: [run(Date.now() - 50, false), run(Date.now(), false)] };
    send('health_status: unhealthy');
    await new Promise((r) => setTimeout(r, 100));
    const unpausedAt = Date.now();
    app = { ...app, paused: false };
    send('unpause', unpausedAt);
    await new Promise((r) => setTimeout(r, 600));
    expect(fake.restarts).toEqual([]); // no check made since the unpause yet
    // Its checks since the unpause fail too (the app hangs): two of them, its retries.
    app = { ...app, healthLog: [...(app.healthLog ?? []), run(unpausedAt + 200, false), run(unpausedAt + 400, false)] };
    const deadline = Date.now() + 3000;
    while (fake.restarts.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fake.restarts).toEqual([app.id]);
  });
});
