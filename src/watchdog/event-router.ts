import { verdictAfterExit } from '../docker/restart-policy.ts';
import type { ContainerEvent } from '../docker/types.ts';
import type { AlertSink } from './actor.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { Discovery } from './discovery.ts';
import type { HistorySink } from './history.ts';
import type { NamespaceChildren } from './namespace-children.ts';
import type { TaskSlots } from './slot-watch.ts';
import { endAfterStop, STOP_END_DELAY_MS } from './stop-end.ts';

/** What routing an engine event reaches: the watches, discovery, history and the service slots. */
export interface EventHost {
  readonly watches: ReadonlyMap<string, ContainerWatch>;
  readonly discovery: Pick<Discovery, 'removed' | 'later' | 'health' | 'unwatched' | 'afterUnpause'>;
  readonly history: HistorySink;
  readonly alerter: AlertSink;
  readonly slots: TaskSlots;
  readonly clock: Clock;
  /** The containers sharing a started container's network namespace (namespace-children.ts). */
  readonly namespace: Pick<NamespaceChildren, 'started'>;
}

/**
 * Routes one engine event (not healer's own, not while stopping: the caller looks): to discovery when
 * it changes which containers exist or how one is to be watched, else to its watch. `replayed`: held
 * while the container's first inspect was out (early-events.ts), so routed once already up to the hold.
 */
export function routeEvent(ev: ContainerEvent, h: EventHost, replayed = false): void {
  const w = h.watches.get(ev.id);
  if (ev.action === 'destroy') return void h.discovery.removed(ev.id);
  // Joined or left a network: where its probes go is read again (discovery.ts update, reroute.ts).
  if (ev.action === 'network_connect' || ev.action === 'network_disconnect') return w ? h.discovery.later(ev.id) : undefined;
  // Whoever started it (healer, its restart policy, an operator), and watched or not: its children lost their network.
  if (ev.action === 'start' && !replayed) h.namespace.started(ev.id, ev.name);
  if (!w) {
    // Held while its first inspect is out, for the watch that makes (and a rename of one listed with a
    // label error renames its listing); a start (re)opens one.
    h.discovery.unwatched(ev);
    if (ev.action === 'start') h.discovery.later(ev.id);
    return;
  }
  // A new name, or `docker update` (a restart policy switched on or off): looked at again.
  if (ev.action === 'rename' || ev.action === 'update') return h.discovery.later(ev.id);
  const now = h.clock.now();
  if (ev.action === 'health_status') {
    if (w.policy.liveness?.spec.kind === 'docker' && (ev.health === 'healthy' || ev.health === 'unhealthy' || ev.health === 'starting')) {
      // Shortly after an unpause, an `unhealthy` may be the pause's: judged by the checks made since.
      if (h.discovery.afterUnpause.event(ev.id, ev.health)) return;
      w.feed({ type: 'health', status: ev.health, at: now });
    }
    return;
  }
  // A verdict on an exit the engine gave before a start is no longer news; a die is the exit seen live
  // whose verdict the inspect after it reads (exit-verdict.ts, followRestartPolicy).
  w.exits.seen(ev.action, ev.time);
  w.guard(() => feedEvent(w, ev, now, h));
  // Whether the engine restarts this crash or has given up (on-failure:N's count; Docker's verdict after any
  // `docker kill`) is read after it (inspect), and followed there (ContainerWatch.followRestartPolicy:
  // healer's on-exit start once the engine gave up).
  if (ev.action === 'start' || (ev.action === 'die' && w.policy.restartOnExit && verdictAfterExit(w.info))) h.discovery.later(ev.id);
  if (ev.action === 'unpause') h.discovery.health(ev.id, ev.time || now);
}

/** A lifecycle event, read against healer's own actions (EventReader), as the watch's input. */
function feedEvent(w: ContainerWatch, ev: ContainerEvent, now: number, h: EventHost): void {
  const heldUntil = w.events.stopUntil;
  const read = w.events.read(ev, now, w.info.stopSignal, w.info.stopTimeoutMs);
  const until = w.events.stopUntil;
  if (ev.action === 'kill' && until !== undefined && until !== heldUntil && w.events.stopSignalled(now)) {
    const holdS = Number.isFinite(until) ? Math.round((until - now) / 1000) : undefined;
    w.log.info({ signal: ev.signal, holdS: holdS ?? 'until it exits or passes its check again' }, 'stop signal sent to the container: no restart while its stop is under way (its stop grace)');
  }
  // Someone else's stop ends what healer had open about the container (README, Alerts): Alertmanager would
  // otherwise go on firing `unhealthy` for a container parked on purpose. Not while healer's own action
  // is under way: the machine keeps that action's view, and so do the alerts. Not at once either: a
  // `docker restart` stops it too, and only the start that follows tells them apart (stop-end.ts).
  const ends = read?.type === 'stopped' && read.by === 'operator' && w.state.lifecycle !== 'stopped' && !w.state.inFlight;
  if (read?.type === 'stopped' && read.by === 'operator' && w.state.lifecycle !== 'stopped') {
    w.log.info({ alertsEndInS: ends ? STOP_END_DELAY_MS / 1000 : undefined }, 'container stopped by an operator; it stays stopped');
    // A task its orchestrator stops while its HEALTHCHECK fails is one it replaces for failing.
    // (Swarm acts on the HEALTHCHECK only: healer's own probes failing while an app drains after the
    // stop signal of a rolling update say nothing of the task.)
    if (w.policy.liveness?.spec.kind === 'docker' && w.state.liveness.up === false) h.slots.failed(w, { kind: 'unhealthy' });
    h.history.transition({ at: now, container: w.name, project: w.info.project, event: 'operator_stop', reason: 'stopped by an operator' });
  }
  const restarted = read?.type === 'started' && w.state.lifecycle !== 'running';
  if (restarted) h.history.transition({ at: now, container: w.name, project: w.info.project, event: 'operator_start', reason: 'started outside healer' });
  if (read?.type === 'paused' || read?.type === 'unpaused') w.log.info({ event: read.type }, read.type === 'paused' ? 'container paused; not probed until it is unpaused' : 'container unpaused');
  if (read) w.feed(read);
  if (ends) endAfterStop(w, h.clock, h.alerter);
  // Seen as it happens: a task container that runs again was started by someone, not its orchestrator.
  if (restarted && w.info.task) w.feed({ type: 'orphaned', at: now });
}
