import { expect } from 'vitest';
import { runWatched } from './worlds.ts';
import { EngineError } from '../../src/docker/engine.ts';
import type { World } from './harness.ts';
import type { SimContainer } from './sim-engine.ts';

// The engine faults the model tests plant in the healers they start (a restart or stop cut short,
// refused or answered late, a slow inspect) and the owed-start set-up built on them: one place for
// them, so each test file says only what differs in its scenario.

/** One restart healer sent: its container, which one of the run's restarts it is (from 1), and the engine's own restart. */
export type RestartCall = { c: SimContainer; n: number; send: () => Promise<void> };

/**
 * Kills the world's first healer and hands every restart of the healers started from then on to
 * `handle` (the engine's own is `send`), so a test can cut a restart where a real one can be cut.
 * Returns how many restarts were sent so far.
 */
export async function onRestart(w: World, handle: (call: RestartCall) => Promise<void>): Promise<() => number> {
  await w.killHealer();
  let restarts = 0;
  w.patchEngine((engine) => {
    const original = engine.restart.bind(engine);
    engine.restart = (id: string, timeoutMs: number) => {
      restarts++;
      const c = w.engine.containers.get(id);
      if (!c) throw new Error('no such container');
      return handle({ c, n: restarts, send: () => original(id, timeoutMs) });
    };
  });
  return () => restarts;
}

/** The stop half of a restart as the engine runs it (kill 15, die 143, stop) before its start half. */
export function stopHalf(w: World, c: SimContainer): void {
  const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };
  eng.emit(c, 'kill', { signal: '15' });
  eng.down(c, 143);
  eng.emit(c, 'stop');
}

/** An answer that never comes: the connection of a healer killed while it waits. */
export const noAnswer = (): Promise<void> => new Promise<void>(() => undefined);

/** The engine refusing a restart's start half because the old run still holds the host port (HTTP 500). */
export function portTaken(id: string): Promise<void> {
  return new Promise<void>((_, reject) =>
    setImmediate(() => reject(new EngineError(`restart ${id.slice(0, 12)} failed with HTTP 500: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated`, 500, undefined))),
  );
}

/**
 * Starts a healer, runs a live container `api` that hangs after 3 s, and advances in 100 ms steps (at
 * most `steps`) until `sent` restarts were sent; the test then says what it expects of them.
 */
export async function hangApi(w: World, restarts: () => number, sent = 1, steps = 50): Promise<SimContainer> {
  await w.startHealer();
  const c = w.run('api', 'live', 'ok');
  await w.clock.advance(3_000, () => w.settle());
  w.engine.setApp(c, 'hang');
  for (let i = 0; i < steps && restarts() < sent; i++) await w.clock.advance(100, () => w.settle());
  return c;
}

/**
 * A restart whose stop half ran and whose start half was refused, and healer restarted before its
 * retry: the new healer must start the container healer's own restart took down.
 */
export async function refusedStartThenNewHealer(w: World): Promise<void> {
  const restarts = await onRestart(w, ({ c, n, send }) => {
    if (n > 1) return send();
    // The stop half runs (kill 15, die 143, stop); the start half is refused: the port is still taken.
    stopHalf(w, c);
    return portTaken(c.id);
  });
  const c = await hangApi(w, restarts);
  expect(restarts(), 'healer restarted it; the start half was refused').toBe(1);
  expect(c.running).toBe(false);
  expect(w.wd.watches.get(c.id)?.state.pending?.kind, 'a start is owed').toBe('start');
  // healer is restarted before its retry (backoff.initial 2 s in the model).
  await w.killHealer();
  w.engine.setApp(c, 'ok');
  await w.startHealer();
  await w.clock.advance(20_000, () => w.settle());
  expect(c.running, 'started again by the new healer').toBe(true);
}

/**
 * A world whose first restart of `api` never answers, healer killed meanwhile (and the app well again);
 * `stopHalfRuns`: the engine ran the restart's stop half first, otherwise the restart never reached the
 * container. Set the world's engine skew before.
 */
export async function haltedMidRestart(w: World, stopHalfRuns = true): Promise<{ c: SimContainer; restarts: () => number }> {
  const restarts = await onRestart(w, ({ c, n, send }) => {
    if (n > 1) return send();
    if (stopHalfRuns) stopHalf(w, c);
    return noAnswer();
  });
  const c = await hangApi(w, restarts);
  expect(restarts(), `healer sent its restart${stopHalfRuns ? '; the stop half ran' : ''}`).toBe(1);
  expect(c.running).toBe(!stopHalfRuns);
  await w.killHealer();
  w.engine.setApp(c, 'ok');
  return { c, restarts };
}

/** The labels of a container probed for liveness (1 s, 2 failures) and started when it exits. */
export const LIVE_ON_EXIT = {
  'healer.enable': 'true',
  'healer.liveness': 'tcp://127.0.0.1:1',
  'healer.liveness.interval': '1s',
  'healer.liveness.failures': '2',
  'healer.restart.on_exit': 'true',
};

/** Starts a healer and a running container `api` with LIVE_ON_EXIT, watched for 3 s. */
export async function startOnExitApi(w: World): Promise<SimContainer> {
  await w.startHealer();
  const c = await runWatched(w, 'api', LIVE_ON_EXIT);
  return c;
}

/**
 * Kills the world's first healer; the healers started from then on get the inspect of the container
 * whose id is put in the returned `slowed.id` answered `ms` later (a loaded engine or proxy): the
 * engine's answer as of the call when `asOfCall`, else as of the moment it arrives.
 */
export async function slowInspect(w: World, ms: number, asOfCall = false): Promise<{ id: string }> {
  await w.killHealer();
  const slowed = { id: '' };
  w.patchEngine((engine) => {
    const original = engine.inspect.bind(engine);
    const wait = (id: string): Promise<void> => (id === slowed.id ? new Promise<void>((resolve) => w.clock.view(-1).setTimeout(resolve, ms)) : Promise.resolve());
    engine.inspect = async (id: string) => {
      if (!asOfCall) await wait(id);
      const info = await original(id);
      if (asOfCall) await wait(id);
      return info;
    };
  });
  return slowed;
}

/**
 * Kills the world's first healer and hands every stop of the healers started from then on to `handle`
 * (the engine's own is `send`), as onRestart does for restarts. Returns how many stops were sent.
 */
export async function onStop(w: World, handle: (id: string, send: () => Promise<void>) => Promise<void>): Promise<() => number> {
  await w.killHealer();
  let stops = 0;
  w.patchEngine((engine) => {
    const original = engine.stop.bind(engine);
    engine.stop = (id: string, timeoutMs: number) => {
      stops++;
      return handle(id, () => original(id, timeoutMs));
    };
  });
  return () => stops;
}

/** A stop refused by a socket proxy that does not allow it (HTTP 403). */
export function stopForbidden(id: string): Promise<void> {
  return Promise.reject(new EngineError(`stop ${id.slice(0, 12)} failed with HTTP 403: forbidden by the socket proxy`, 403, undefined));
}

/**
 * A stop whose signal reaches the app, which drains for `drainMs` and exits 143 (then the engine's
 * `stop` event), while the proxy in front gives up first (HTTP 504).
 */
export function drainingStop(w: World, id: string, drainMs: number): Promise<void> {
  const c = w.engine.containers.get(id);
  if (!c) return Promise.reject(new EngineError('no such container', 404, undefined));
  const eng = w.engine as unknown as { emit(c: SimContainer, action: string, attrs: Record<string, string>): void };
  eng.emit(c, 'kill', { signal: '15' });
  w.clock.view(-1).setTimeout(() => {
    w.engine.crash(c, 143);
    eng.emit(c, 'stop', {});
  }, drainMs);
  return new Promise<void>((_, reject) => setImmediate(() => reject(new EngineError(`stop ${id.slice(0, 12)} failed with HTTP 504: gateway timeout`, 504, undefined))));
}
