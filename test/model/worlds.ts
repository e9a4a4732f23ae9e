import { afterEach } from 'vitest';
import { MAX_CONCURRENT, World } from './harness.ts';
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

/**
 * Runs `worker` (restart.on_exit, crashloop.restarts 1, no restart policy) in `w`, then crashes it in
 * a loop until healer alerts `crashloop` (at most 60 s): the open crash loop the review-24 tests keep
 * across healer's restarts. The test asserts the alert itself.
 */
export async function crashLoopingWorker(w: World): Promise<SimContainer> {
  const c = w.engine.create('worker', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true', 'healer.crashloop.restarts': '1' }, { restartPolicy: 'no', app: 'ok' });
  w.engine.startNow(c);
  await w.advance(3_000);
  w.engine.setApp(c, 'crashloop');
  w.engine.crash(c, 3);
  const looped = (): boolean => w.alerts.some((a) => a.container?.name === 'worker' && a.event === 'crashloop');
  for (let i = 0; i < 600 && !looped(); i++) await w.advance(100);
  return c;
}

/**
 * `late`, probed over HTTP (1 s, 2 failures; with a body match when `body`), whose liveness fails while
 * both restart slots are taken by slow restarts (each of `busy` takes 5 s to answer, the engine patched
 * before healer starts): its restart is decided and waits for a slot. The start of the tests of a queued
 * restart's re-check (held by the match budget, inconclusive, an operator's stop during it).
 */
export async function queuedRestart(w: World, opts: { body?: boolean } = {}): Promise<{ late: SimContainer; busy: SimContainer[] }> {
  await w.killHealer();
  w.patchEngine((engine) => {
    const original = engine.restart.bind(engine);
    engine.restart = async (id: string, timeoutMs: number) => {
      await new Promise<void>((resolve) => w.clock.view(-1).setTimeout(resolve, 5_000));
      return original(id, timeoutMs);
    };
  });
  await w.startHealer();
  const busy = Array.from({ length: MAX_CONCURRENT }, (_, i) => w.run(`busy${i}`, 'live', 'ok'));
  const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://127.0.0.1:1/', ...(opts.body ? { 'healer.liveness.body': 'ok' } : {}), 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' };
  const late = w.engine.create('late', labels, { app: 'ok' });
  w.engine.startNow(late);
  await w.clock.advance(3_000, () => w.settle());
  for (const c of busy) w.engine.setApp(c, 'hang');
  for (let i = 0; i < 60 && busy.some((c) => w.wd.watches.get(c.id)?.state.inFlight !== true); i++) await w.clock.advance(100, () => w.settle());
  await w.clock.advance(200, () => w.settle());
  w.engine.setApp(late, 'hang');
  for (let i = 0; i < 60 && w.wd.watches.get(late.id)?.state.inFlight !== true; i++) await w.clock.advance(100, () => w.settle());
  return { late, busy };
}
