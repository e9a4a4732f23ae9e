import type { Engine } from '../docker/engine.ts';
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
 * for a slot), 'held' when that re-check could not run (the match budget: recheck.ts). `decidedOn` is
 * the inspect data its probes were routed with when it was decided.
 */
export async function preAction(deps: PreActionDeps, w: ContainerWatch, kind: ActionKind, reason: string, cause: Cause, decidedOn: ContainerInfo, waited: boolean): Promise<'go' | false | 'deferred' | 'gone' | 'recovered' | 'held'> {
  const fresh = await deps.engine.inspect(w.id);
  if (!fresh) return 'gone';
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
  const ready = !stoppedMeanwhile && !fresh.restarting && !fresh.paused && (kind === 'start' ? !fresh.running : fresh.running);
  if (!ready) {
    w.log.info({ reason, running: fresh.running, restarting: fresh.restarting, paused: fresh.paused }, `${kind} skipped: the container is no longer in the state that called for it`);
    return false;
  }
  const recheck = kind === 'restart' && cause === 'liveness' ? await recoveredMeanwhile(w, fresh, waited) : false;
  if (recheck) return recheck;
  // Decided before the breaker opened (many containers failing together) and queued for a slot since:
  // judged again now, as the engine would otherwise get restarts while restarts are paused. A quarantine
  // stop is not held by the breaker (it restarts nothing).
  const ctx = kind === 'stop' ? undefined : deps.context(w);
  if (ctx && (ctx.paused || ctx.heldBy !== undefined)) return 'deferred';
  return 'go';
}
