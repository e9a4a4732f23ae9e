import { afterEach } from 'vitest';
import { World } from './harness.ts';
import type { SimContainer } from './sim-engine.ts';

/**
 * Registers the disposal of the worlds a test file makes (after each test, passed or failed, so no
 * timers or temp directories leak into the next) and returns the function that makes one.
 */
export function worldsPerTest(): () => Promise<World> {
  const worlds: World[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.dispose();
  });
  return async () => {
    const w = await World.create();
    worlds.push(w);
    return w;
  };
}

/**
 * Runs `api` with healer.action: notify and a TCP liveness probe (1 s, 2 failures) in `w`, and lets
 * its app hang until it is unhealthy (its `unhealthy` alert sent, nothing restarted): the start of the
 * tests of how an open alert ends.
 */
export async function unhealthyNotifyApi(w: World): Promise<SimContainer> {
  const c = await runWatched(w, 'api', { 'healer.enable': 'true', 'healer.action': 'notify', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' });
  w.engine.setApp(c, 'hang');
  await w.clock.advance(4_000, () => w.settle());
  return c;
}

/** Creates and starts `name` with `labels` in `w` and lets healer watch it for 3 s: the usual start of a model test. */
export async function runWatched(w: World, name: string, labels: Record<string, string>): Promise<SimContainer> {
  const c = w.engine.create(name, labels);
  w.engine.startNow(c);
  await w.settle();
  await w.clock.advance(3_000, () => w.settle());
  return c;
}
