import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Fourteenth adversarial review. Fails on the reviewed code. (On the real engine, with the event stream
// handed on 2.5 s late by a proxy: test/e2e/review14-late-stop.test.ts.)
//
// Trigger: the event stream runs behind the engine's answers (a loaded engine or host, a proxy in front
// of the socket), and an operator runs `docker stop` on an on_exit container whose app exits 1 on
// SIGTERM (a handler that exits non-zero; compose's `docker compose stop` does the same). Its liveness
// probe fails at once (the listener is gone), before the stop's kill/die/stop events reach healer.
// What happens: healer decides a restart; the inspect before it finds the container exited with code 1
// (Actor.skipped, src/watchdog/actor.ts), and with no event read yet, downFromInspect takes the exit for
// a crash by its code: `died` alerted, and healer *starts* the container the operator just stopped. The
// late kill/die/stop events then change nothing: it keeps running.
// What should happen: an exit healer finds only by inspect while its events may still be on their way
// is not taken for a crash at once (the kill and stop events say whose it was); a container an operator
// stopped is never started (PRODUCT.md, Actions).

describe('review14: an operator stop whose events arrive after the probe failed', () => {
  const fw = fakeWatchdogs('healer-review14-');

  it('is not undone by an on_exit start', { timeout: 30_000 }, async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '200ms', 'healer.liveness.timeout': '100ms', 'healer.liveness.failures': '1', 'healer.restart.on_exit': 'true' };
    let app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'api' };
    const fake = fakeEngine([app]);
    const engine = fake.engine as unknown as { inspect(id: string): Promise<ContainerInfo | undefined>; openEvents(): Promise<Readable> };
    engine.inspect = (id: string) => Promise.resolve(id === app.id ? app : undefined);
    const stream = new PassThrough();
    engine.openEvents = () => Promise.resolve(stream);
    const send = (Action: string, extra: Record<string, string>, at: number): void => {
      stream.write(`${JSON.stringify({ Type: 'container', Action, Actor: { ID: app.id, Attributes: { name: app.name, ...labels, ...extra } }, time: Math.floor(at / 1000), timeNano: at * 1e6 })}\n`);
    };
    // The probe passes while the app runs, fails once it is down.
    const probe: Prober = { run: () => Promise.resolve(app.running ? { ok: true, latencyMs: 1 } : { ok: false, latencyMs: 1, error: 'connect ECONNREFUSED 127.0.0.1:1' }) };
    const wd = fw.watchdog({
      engine: fake.engine,
      prober: probe,
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(wd.watches.get(app.id)?.state.liveness.up).toBe(true);
    // `docker stop api`: SIGTERM, the app exits 1. The engine has done it; its events are still on their way.
    const stoppedAt = Date.now();
    app = { ...app, running: false, exitCode: 1, finishedAt: stoppedAt };
    await new Promise((r) => setTimeout(r, 1500));
    send('kill', { signal: '15' }, stoppedAt);
    send('die', { exitCode: '1' }, stoppedAt);
    send('stop', {}, stoppedAt);
    await new Promise((r) => setTimeout(r, 1000));
    expect(fake.calls.get('start') ?? 0).toBe(0);
  });

  // Fix's own: an exit whose events never come within the wait (LATE_EXIT_EVENTS_MS, 10 s) is alerted but not started.
  it('an exit its events never confirm is alerted (died) but not started', { timeout: 30_000 }, async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '200ms', 'healer.liveness.timeout': '100ms', 'healer.liveness.failures': '1', 'healer.restart.on_exit': 'true' };
    let app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'api' };
    const fake = fakeEngine([app]);
    const engine = fake.engine as unknown as { inspect(id: string): Promise<ContainerInfo | undefined>; openEvents(): Promise<Readable> };
    engine.inspect = (id: string) => Promise.resolve(id === app.id ? app : undefined);
    engine.openEvents = () => Promise.resolve(new PassThrough());
    const probe: Prober = { run: () => Promise.resolve(app.running ? { ok: true, latencyMs: 1 } : { ok: false, latencyMs: 1, error: 'connect ECONNREFUSED 127.0.0.1:1' }) };
    const alerts: string[] = [];
    const wd = fw.watchdog({
      engine: fake.engine,
      prober: probe,
      alerter: { emit: (a) => void alerts.push(a.event), containerGone: () => undefined },
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 500));
    app = { ...app, running: false, exitCode: 1, finishedAt: Date.now() };
    await new Promise((r) => setTimeout(r, 5000));
    expect(alerts).not.toContain('died'); // still waiting for its events
    await new Promise((r) => setTimeout(r, 7000));
    expect(alerts).toContain('died');
    expect(wd.watches.get(app.id)?.state.lifecycle).toBe('exited');
    expect(fake.calls.get('start') ?? 0).toBe(0);
  });
});
