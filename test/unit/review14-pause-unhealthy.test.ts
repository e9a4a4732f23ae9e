import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Fourteenth adversarial review. Fails on the reviewed code. (On the real engine:
// test/e2e/review14-pause-health.test.ts.)
//
// Trigger: `docker pause` (a backup, `docker commit`) of a healthy container whose liveness is its own
// HEALTHCHECK, for longer than its interval × retries, then `docker unpause`. Docker keeps running the
// HEALTHCHECK of a paused container (moby daemon/health.go monitor() has no pause check); every exec is
// refused ("container is paused"), counts as a failed check, and the engine turns it `unhealthy` during
// the pause, by the pause alone (`health_status: unhealthy` arrives while it is paused).
// What happens: at the unpause healer reads the health again on purpose (Discovery.health,
// src/watchdog/discovery.ts), finds that `unhealthy` and restarts the container at once, although its app
// never failed and its next check, one interval after the unpause, passes.
// What should happen (README: a paused container's "probe results count for nothing (no failures
// carried over to the unpause)"): an `unhealthy` the engine reached while the container was paused is
// the pause's; healer waits for a verdict from a check made after the unpause.

describe('review14: a HEALTHCHECK container that Docker turned unhealthy while it was paused', () => {
  const fw = fakeWatchdogs('healer-review14-');

  it('is not restarted at its unpause', { timeout: 30_000 }, async () => {
    const labels = { 'healer.enable': 'true', 'healer.restart.timeout': '1s' };
    let app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'backup', hasHealthcheck: true, health: 'healthy' };
    const fake = fakeEngine([app]);
    const engine = fake.engine as unknown as { inspect(id: string): Promise<ContainerInfo | undefined>; openEvents(): Promise<Readable> };
    engine.inspect = (id: string) => Promise.resolve(id === app.id ? app : undefined);
    const stream = new PassThrough();
    engine.openEvents = () => Promise.resolve(stream);
    const send = (Action: string): void => {
      stream.write(`${JSON.stringify({ Type: 'container', Action, Actor: { ID: app.id, Attributes: { name: app.name, ...labels } }, time: Math.floor(Date.now() / 1000), timeNano: Date.now() * 1e6 })}\n`);
    };
    const never: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
    const wd = fw.watchdog({
      engine: fake.engine,
      prober: never,
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(wd.watches.has(app.id)).toBe(true);
    app = { ...app, paused: true };
    send('pause');
    await new Promise((r) => setTimeout(r, 200));
    // Its checks are refused while it is frozen: the engine turns it unhealthy meanwhile.
    app = { ...app, health: 'unhealthy' };
    send('health_status: unhealthy');
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.restarts).toEqual([]); // nothing done to it while paused (as the README says)
    app = { ...app, paused: false };
    send('unpause');
    // Its next check, one interval later, passes; healer must not have restarted it meanwhile.
    await new Promise((r) => setTimeout(r, 1500));
    expect(fake.restarts).toEqual([]);
  });
});
