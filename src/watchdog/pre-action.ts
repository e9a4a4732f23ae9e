import type { Engine } from '../docker/engine.ts';
import { containerGone } from '../docker/engine-error.ts';
import { isSelf } from '../docker/self.ts';
import type { ContainerInfo } from '../docker/types.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { ActionKind, Cause, Context } from './machine-types.ts';
import { recoveredMeanwhile } from './recheck.ts';
import { probedOverNetwork, sameRoute, takeInfo } from './reroute.ts';

/** What the pre-action check needs: the engine to inspect with, the clock, healer's own ids, the host's view. */
export interface PreActionDeps {
  readonly engine: Pick<Engine, 'inspect'>;
  readonly clock: Clock;
  readonly self: { readonly ids: readonly string[]; readonly hostname: string };
  readonly context: (w: ContainerWatch) => Context;
}

/**
 * Whether an action decided earlier still goes out, judged on fresh inspect data taken just before it
 * (the watch takes that data): 'go' when it does; false when the container is no longer in the state that
 * called for it, 'deferred' when the host now says wait (the breaker opened, a dependency fails), 'gone'
 * when it was removed, 'recovered' when a restart for failing probes finds them passing again (`waited`:
 * for a slot), 'held' when that re-check got no result (the match budget, an inconclusive probe: recheck.ts) or the
 * look after a failing one could not be taken (lookAgain). `decidedOn` is
 * the inspect data its probes were routed with when it was decided.
 */
export async function preAction(deps: PreActionDeps, w: ContainerWatch, kind: ActionKind, reason: string, cause: Cause, decidedOn: ContainerInfo, waited: boolean): Promise<'go' | false | 'deferred' | 'gone' | 'recovered' | 'held'> {
  const fresh = await look(deps, w, kind, reason, cause, decidedOn);
  if (fresh === false || fresh === 'gone') return fresh;
  const recheck = kind === 'restart' && cause === 'liveness' ? await recoveredMeanwhile(w, fresh, waited) : false;
  if (recheck === 'recovered' || recheck === 'held') return recheck;
  // The re-check's probe took time (up to its timeout), and what it saw may be the container going down:
  // an operator's `docker stop`, a pause, a crash or a re-create during it makes it fail too. So the
  // container is looked at again, as before it; an action on the first look would undo that stop.
  if (recheck === 'probed') {
    const again = await lookAgain(deps, w, kind, reason, cause, decidedOn, fresh);
    if (again === false || again === 'gone' || again === 'held') return again;
  }
  // Decided before the breaker opened (many containers failing together) and queued for a slot since:
  // judged again now, as the engine would otherwise get restarts while restarts are paused. A quarantine
  // stop is not held by the breaker (it restarts nothing).
  const ctx = kind === 'stop' ? undefined : deps.context(w);
  if (ctx && (ctx.paused || ctx.heldBy !== undefined)) return 'deferred';
  return 'go';
}

/**
 * The look after a failing re-check. Its inspect failing (an engine 500, a timeout) leaves healer unsure
 * what the container is doing now (the stop that may have made the probe fail included); nothing was
 * sent, so it is no failed restart (no alert, no retry): the restart is held, and the container's next
 * liveness probe decides. A container being removed is still `gone` (the actor's catch says so).
 */
async function lookAgain(deps: PreActionDeps, w: ContainerWatch, kind: ActionKind, reason: string, cause: Cause, decidedOn: ContainerInfo, before: ContainerInfo): Promise<ContainerInfo | false | 'gone' | 'held'> {
  try {
    return await look(deps, w, kind, reason, cause, decidedOn, before);
  } catch (err) {
    if (containerGone(err, w)) throw err;
    w.log.warn({ reason, err: (err as Error).message }, 'restart held: the container could not be looked at again after its failing liveness re-check (the engine did not answer its inspect); its next liveness probe decides');
    return 'held';
  }
}

/**
 * One look at the container (a fresh inspect, taken in by the watch): its data when it is still in the
 * state that called for the action; false when not (stopped, paused, restarting, rerouted, healer itself,
 * or, on a second look, `before` the look an earlier one took: started again since), 'gone' when removed.
 */
async function look(deps: PreActionDeps, w: ContainerWatch, kind: ActionKind, reason: string, cause: Cause, decidedOn: ContainerInfo, before?: ContainerInfo): Promise<ContainerInfo | false | 'gone'> {
  const fresh = await deps.engine.inspect(w.id);
  if (!fresh || w.isClosed) return 'gone';
  takeInfo(w, fresh, deps.clock.now());
  // Its networks changed since (`docker network disconnect`): the failures were of another address.
  if (kind !== 'start' && cause === 'liveness' && probedOverNetwork(w) && !sameRoute(decidedOn, fresh)) {
    w.log.info({ reason }, `${kind} skipped: the container's networks changed since its probes failed`);
    return false;
  }
  if (isSelf(fresh.id, deps.self)) return false;
  // An operator stopped it while this start waited (`docker stop` after an exit healer took for a crash).
  // Or someone's stop signal reached it after the decision: its exit is theirs, a restart would undo it.
  const stoppedMeanwhile = kind === 'start' ? w.state.lifecycle === 'stopped' : w.events.stopSignalled(deps.clock.now());
  // Started again between two looks (stopped and started, restarted by someone): the failures were the old run's.
  const rerun = before !== undefined && (fresh.startedAt !== before.startedAt || fresh.restartCount !== before.restartCount);
  const ready = !stoppedMeanwhile && !rerun && !fresh.restarting && !fresh.paused && (kind === 'start' ? !fresh.running : fresh.running);
  if (!ready) {
    const when = before ? ' (looked at again after its liveness re-check)' : '';
    w.log.info({ reason, running: fresh.running, restarting: fresh.restarting, paused: fresh.paused, stopSignalled: stoppedMeanwhile, rerun }, `${kind} skipped: the container is no longer in the state that called for it${when}`);
    return false;
  }
  return fresh;
}
