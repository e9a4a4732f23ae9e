import type { Engine } from '../docker/engine.ts';
import type { EngineClock } from '../docker/engine-clock.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { persistedEntry, type StateFile } from './state-file.ts';
import type { Cause } from './machine-types.ts';

/**
 * How long a restart waits for its owed start to reach disk before it is sent anyway. The fsync is
 * short on a healthy disk; one that hangs (an NFS hard mount whose server is away, an `fsfreeze` for a
 * snapshot) must not hold the restart, and its slot, for ever: the restart goes out as when the write
 * fails, and only a healer killed in its middle loses the start.
 */
export const OWED_WRITE_WAIT_MS = 2_000;

/**
 * Writes the start a restart owes (RestartSent, persisted as `owedStart` with `at`) and waits for it,
 * at most OWED_WRITE_WAIT_MS. Done before the restart's last look at the container, so that an
 * operator's stop or pause during a slow write is still seen and takes the restart back. The engine's
 * clock is read first (one ping, at most CLOCK_READ_MS) and written with it: see readClock.
 */
export async function oweStart(w: ContainerWatch, state: StateFile, clock: Clock, engine: Pick<Engine, 'clock'>, sent: { readonly reason: string; readonly cause: Cause }): Promise<void> {
  if (forgotten(w, state)) return;
  const engineClock = await readClock(w, clock, engine);
  if (forgotten(w, state)) return;
  w.restartSent = { ...sent, at: clock.now(), engine: engineClock };
  state.set(w.id, persistedEntry(w));
  let timer: object | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = clock.setTimeout(() => resolve('late'), OWED_WRITE_WAIT_MS);
  });
  const outcome = await Promise.race([state.flush(), late]);
  if (timer) clock.clearTimeout(timer);
  if (outcome === 'late') w.log.warn({ waitedMs: OWED_WRITE_WAIT_MS, path: state.path }, 'the state file write did not finish in time; the restart goes out without its owed start on disk (healer killed in its middle would leave the container down)');
}

/**
 * The engine's clock, written with the owed start so that the next healer compares the container's
 * FinishedAt with the send time on the engine's own clock (exits.ts). Not read: the start is owed on
 * healer's clock alone, as before (right when both clocks agree, as for a local engine).
 */
async function readClock(w: ContainerWatch, clock: Clock, engine: Pick<Engine, 'clock'>): Promise<EngineClock | undefined> {
  try {
    return await engine.clock(() => clock.now());
  } catch (err) {
    w.log.warn({ err: (err as Error).message }, 'cannot read the engine\'s clock; the restart\'s owed start is written on healer\'s clock alone (an engine whose clock is off would leave the container down if healer is killed mid-restart)');
    return undefined;
  }
}

/** The restart is sent now: its owed start is stamped with the send time (the window a stop half can end in). */
export function restartSending(w: ContainerWatch, state: StateFile, clock: Clock): void {
  if (!w.restartSent || forgotten(w, state)) return;
  w.restartSent = { ...w.restartSent, at: clock.now() };
  state.set(w.id, persistedEntry(w));
  void state.flush();
}

/** The restart was not sent (skipped, deferred, the container gone): the start it owed is taken back on disk. */
export function owedTakenBack(w: ContainerWatch, state: StateFile): void {
  if (!w.restartSent) return;
  w.restartSent = undefined;
  // (Not put back for a container whose destroy was handled meanwhile: its entry is gone for good.)
  if (!state.get(w.id)) return;
  state.set(w.id, persistedEntry(w));
  void state.flush();
}

/**
 * The container was removed (its destroy handled: watch closed, state-file entry deleted), maybe while its
 * action waited for a slot: nothing is sent for it and nothing written, or its entry would come back and
 * stay until healer restarts. (A watch closed by healer stopping keeps its entry: not forgotten.)
 */
export function forgotten(w: ContainerWatch, state: StateFile): boolean {
  return w.isClosed && !state.get(w.id);
}
