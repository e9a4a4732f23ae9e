import { engineRestarts } from '../docker/restart-policy.ts';
import type { ContainerInfo } from '../docker/types.ts';
import type { AlertSink } from './actor.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { downFromInspect } from './exits.ts';
import { takeInfo } from './reroute.ts';
import { endAfterStop } from './stop-end.ts';
import type { UnpauseHealth } from './unpause-health.ts';

/** What taking fresh inspect data needs of discovery: the clock, alerts, the unpause judge, and the state file. */
export interface TakeInspectDeps {
  readonly clock: Clock;
  /** Ends a container's open alerts when a resync finds it stopped by someone (and it stays stopped). */
  readonly alerter?: AlertSink | undefined;
  readonly afterUnpause: Pick<UnpauseHealth, 'unpaused'>;
  /** Writes the container's entry to the state file (a restart count or name changed). */
  readonly persist: (w: ContainerWatch) => void;
}

/** New inspect data for a watched container; on resync, what the event stream did not say. */
export function takeInspect(w: ContainerWatch, info: ContainerInfo, resync: boolean, deps: TakeInspectDeps): void {
  const missed = info.restartCount - w.info.restartCount;
  const renamed = info.name !== w.info.name;
  // Also how a network's connect or disconnect of it reaches its probes (event-router.ts).
  takeInfo(w, info, deps.clock.now());
  // A resync's data never gives the engine's verdict on an exit: events (an operator's `stop` in the
  // restart delay) may have been lost with the stream, so "left down" cannot be told from someone's stop.
  if (resync) w.exits.none();
  w.followRestartPolicy();
  // The state file names the container as it is now (a rename is read here, from its event).
  if (missed !== 0 || renamed) deps.persist(w);
  if (!resync) return;
  w.events.resync();
  const now = deps.clock.now();
  const s = w.state;
  if (missed > 0) w.feed({ type: 'engine_restarts', count: missed, at: now });
  if (!info.running && (s.lifecycle === 'running' || s.lifecycle === 'paused') && !s.inFlight) {
    // An exit nobody saw: a crash by its exit code, otherwise someone's stop, which ends its open alerts
    // once it stays stopped, as one seen live does (stop-end.ts): the resync may have landed between the
    // halves of an operator's `docker restart`, whose start comes next.
    // With a restart policy, a crash code found down is unsure: the policy was switched off by someone's
    // stop or kill (Docker), or by a HUP before the crash; healer cannot tell which, so it is alerted and
    // left down (never started on the engine's verdict: exit-verdict.ts).
    const found = downFromInspect(info, now);
    const unsure = found.by === 'exit' && engineRestarts(info);
    if (unsure) w.log.info({ exitCode: info.exitCode }, 'found exited at a resync, its restart policy not bringing it back: alerted and left down (it may be an operator stop)');
    const down = unsure ? { ...found, unconfirmed: true as const } : found;
    w.feed(down);
    if (down.by === 'operator') endAfterStop(w, deps.clock, deps.alerter);
    return;
  }
  // A start from an exit, when RestartCount grew: the restart policy's, counted just above.
  if (info.running && s.lifecycle !== 'running' && s.lifecycle !== 'paused' && !s.inFlight) w.feed({ type: 'started', at: now, counted: missed > 0 });
  const unpaused = info.running && !info.paused && w.state.lifecycle === 'paused';
  if (info.running && info.paused !== (w.state.lifecycle === 'paused')) w.feed({ type: info.paused ? 'paused' : 'unpaused', at: now });
  // Unpaused while the stream was down: its health is judged by checks made from now on.
  if (unpaused && w.policy.liveness?.spec.kind === 'docker') return deps.afterUnpause.unpaused(w, now);
  // Docker sends health_status only on a change: one missed while the stream was down is read here.
  if (info.running && w.policy.liveness?.spec.kind === 'docker' && (info.health === 'unhealthy' || info.health === 'healthy')) {
    w.feed({ type: 'health', status: info.health, at: now });
  }
}
