import type { AlertSink } from './actor.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';

/**
 * How long after an operator's stop the container must stay down before its open alerts end. A
 * `docker restart` (compose restart, `podman restart`) stops the container first, and its `stop` reads
 * like any other; only the `start` the engine sends right after it (Docker's `restart` event comes even
 * later) tells it apart. Ending at once would resolve a crash loop's alert for a loop that never broke,
 * and page `crashloop` again at the next restart.
 */
export const STOP_END_DELAY_MS = 5_000;

/**
 * Ends what healer had open about `w` (alerts, the crash loop: state-machine.ts `ended`) once it has
 * stayed stopped for STOP_END_DELAY_MS after an operator's stop: not if anyone started it meanwhile, not
 * if healer's own action is under way then (the machine keeps that action's view), not once unwatched.
 */
export function endAfterStop(w: ContainerWatch, clock: Clock, alerter: Pick<AlertSink, 'containerStopped'> | undefined): void {
  const starts = w.events.starts;
  const t = clock.setTimeout(() => {
    w.guard(() => {
      if (w.isClosed || w.events.starts !== starts || w.state.lifecycle !== 'stopped' || w.state.inFlight) return;
      w.log.info({ afterS: STOP_END_DELAY_MS / 1000 }, 'container stayed stopped after an operator stop: its open alerts end');
      w.feed({ type: 'stopped', by: 'operator', at: clock.now(), ended: true });
      alerter?.containerStopped?.(w.id);
    });
  }, STOP_END_DELAY_MS);
  t.unref?.();
}
