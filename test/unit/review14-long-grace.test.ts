import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Fourteenth adversarial review. Fails on the reviewed code. (On the real engine:
// test/e2e/review14-long-grace-stop.test.ts.)
//
// Trigger: an operator's `docker stop` of a container with a long stop grace (`--stop-timeout 90`,
// compose's `stop_grace_period: 90s`, inspect `Config.StopTimeout: 90`: what databases get to shut down)
// whose app closes its listener at SIGTERM and needs more than 60 s to exit.
// What happens: healer holds its decisions for 60 s after the stop signal (STOP_SIGNAL_WINDOW_MS,
// src/watchdog/event-reader.ts), then takes them up again, as if the container had survived the signal;
// its probes have failed since the SIGTERM, so healer restarts it in the middle of the operator's stop
// (the engine's SIGKILL is still 30 s away) and the container the operator stopped ends up running.
// What should happen: a stop under way lasts the container's own stop grace when that is longer than
// 60 s; nothing is restarted while the engine still waits for the app to exit.
// Time runs 10× fast here (an injected clock), so the 75 s drain takes 7.5 s.

const FAST = 10;
function fastClock(): Clock {
  const t0 = Date.now();
  const p0 = performance.now();
  return {
    now: () => t0 + (Date.now() - t0) * FAST,
    monotonic: () => p0 + (performance.now() - p0) * FAST,
    setTimeout: (fn, ms) => setTimeout(fn, ms / FAST),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

describe('review14: docker stop of a container with a 90 s stop grace that drains for 75 s', () => {
  const fw = fakeWatchdogs('healer-review14-');

  it('is not restarted while the engine still waits for it to exit', { timeout: 30_000 }, async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.timeout': '500ms', 'healer.restart.timeout': '2s' };
    const id = `d${'0'.repeat(63)}`;
    const raw = {
      Id: id,
      Name: '/db',
      Image: 'sha256:1',
      RestartCount: 0,
      State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 42, ExitCode: 0, StartedAt: new Date().toISOString(), FinishedAt: '0001-01-01T00:00:00Z' },
      Config: { Image: 'postgres:17', Labels: labels, StopTimeout: 90 },
      HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
      NetworkSettings: { Networks: { host: { IPAddress: '' } } },
    } as unknown as Docker.ContainerInspectInfo;
    const app: ContainerInfo = toContainerInfo(raw);
    const fake = fakeEngine([app]);
    const engine = fake.engine as unknown as { openEvents(): Promise<Readable> };
    const stream = new PassThrough();
    engine.openEvents = () => Promise.resolve(stream);
    let draining = false;
    const probe: Prober = { run: () => Promise.resolve(draining ? { ok: false, latencyMs: 1, error: 'connect ECONNREFUSED' } : { ok: true, latencyMs: 1 }) };
    const clock = fastClock();
    const wd = fw.watchdog({
      engine: fake.engine,
      clock,
      prober: probe,
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(wd.watches.get(id)?.state.liveness.up).toBe(true);
    // `docker stop db`: the engine sends SIGTERM (its kill event) and waits up to 90 s; the app drains.
    const at = clock.now();
    stream.write(`${JSON.stringify({ Type: 'container', Action: 'kill', Actor: { ID: id, Attributes: { name: 'db', signal: '15', ...labels } }, time: Math.floor(at / 1000), timeNano: at * 1e6 })}\n`);
    draining = true;
    await new Promise((r) => setTimeout(r, 5000)); // 50 s on healer's clock: held, as the README says
    expect(fake.restarts).toEqual([]);
    await new Promise((r) => setTimeout(r, 2000)); // 70 s: still inside the 75 s drain and the 90 s grace
    expect(fake.restarts).toEqual([]);
  });
});
