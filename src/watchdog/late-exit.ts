import type { AlertSink } from './actor.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { Down } from './event-reader.ts';
import { downFromInspect } from './exits.ts';
import { endAfterStop } from './stop-end.ts';

/**
 * How long an exit found by the inspect before an action, whose `die` has not been read yet, waits for
 * its events before it is judged by its exit code alone. The event stream can run seconds behind the
 * engine's answers (a loaded engine or host, a proxy in front of the socket), and on Podman a `die` is
 * passed on up to 5 s late while its cleanups say whether it was a stop (event-normaliser.ts).
 */
export const LATE_EXIT_EVENTS_MS = 10_000;
/** How often the wait looks whether the events have come (reading them is the event loop's, not this). */
const LOOK_EVERY_MS = 100;

/**
 * How a container an action found down went down. An exit found only by inspect is not judged while its
 * events may still be on their way: an operator's `docker stop` of an app that exits 1 on SIGTERM reads
 * as a crash by its code, and only the `kill`/`stop` before and after its `die` say it was a stop. So the
 * die is waited for (bounded); a crash that its events never confirm is alerted but not started
 * (`unconfirmed`): starting a container someone may have stopped would undo their stop. Its late `die`, if
 * it comes, is judged then as one seen live. Undefined when the watch was closed meanwhile.
 */
export async function downAfterEvents(w: ContainerWatch, clock: Clock): Promise<Down | undefined> {
  const start = clock.now();
  // (Started again meanwhile, as read by discovery from its start event: there is nothing to judge.)
  while (w.events.down === undefined && !w.isClosed && !w.info.running && clock.now() - start < LATE_EXIT_EVENTS_MS) {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, LOOK_EVERY_MS));
  }
  if (w.isClosed || w.info.running) return undefined;
  const read = w.events.down;
  if (read) return read;
  const now = clock.now();
  const found = downFromInspect(w.info, now);
  if (found.by === 'operator') return found;
  w.log.warn(
    { exitCode: found.exitCode, oom: found.oom, waitedMs: now - start },
    'the container exited, but its events did not come: its exit is alerted and it is not started (it may be an operator stop); its die, if it comes, is judged then',
  );
  return { ...found, unconfirmed: true };
}

/**
 * An action not sent because the container changed meanwhile: the in-flight mark is cleared (the restart
 * counted at the decision is taken back) and its real state taken. Found down, the mark stays while its
 * events are awaited (downAfterEvents), so its probes do not decide the same action again meanwhile.
 */
export async function afterSkipped(w: ContainerWatch, clock: Clock, alerter: AlertSink): Promise<void> {
  const down = !w.info.running && !w.info.paused ? await downAfterEvents(w, clock) : undefined;
  if (w.isClosed) return;
  const now = clock.now();
  w.feed({ type: 'restart_done', ok: true, skipped: true, at: now });
  if (w.info.paused) return w.feed({ type: 'paused', at: now });
  // Still running and unhealthy by its HEALTHCHECK (skipped for a stop signal it may survive): the engine
  // will not say so again, so the verdict is given again and decided (or held) anew.
  if (w.info.running && w.policy.liveness?.spec.kind === 'docker' && w.info.health === 'unhealthy') return w.feed({ type: 'health', status: 'unhealthy', at: now });
  if (down) {
    // Someone's stop, read while the mark held its input back: it ends what healer had open once it
    // stays stopped (not a `docker restart`'s stop), as event-router.ts does for one read at any other time.
    const ends = down.by === 'operator' && w.state.lifecycle !== 'stopped';
    w.feed(down);
    if (ends) endAfterStop(w, clock, alerter);
    return;
  }
  // Running while taken for down: an earlier start of healer's whose answer was lost (its start event was
  // read as healer's own), so nothing else will say it runs.
  if (w.info.running && w.state.lifecycle !== 'running' && w.state.lifecycle !== 'paused') w.feed({ type: 'started', at: now });
}
