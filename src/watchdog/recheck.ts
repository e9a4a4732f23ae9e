import type { ContainerInfo } from '../docker/types.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { Pending } from './machine-types.ts';

/**
 * Whether a restart decided for failing liveness probes is no longer needed when its turn comes: the
 * watch saw the container recover, its HEALTHCHECK reads healthy in the fresh inspect, or (after waiting
 * for a restart slot, while no probe runs) its probe, run once more, passes, when one pass is recovery
 * by its own rule (`healer.liveness.successes` 1): with more, one lucky pass of a flapping app is not,
 * as the state machine judges it. healer never restarts a container that no longer needs it.
 * 'held': the re-check could not run because the match budget put its body matching off (match-budget.ts:
 * over its share, the total spent, or a first match of unknown cost already out for its other probe):
 * healer does not know whether it recovered, so it neither restarts on a result it did not get nor
 * calls it recovered; its next liveness probe decides (feedHeld). The same when the re-check ran but was
 * inconclusive (an exec the engine did not answer in time, a target that cannot be routed): no result.
 * 'probed': the probe ran and failed; time passed during it, so the caller looks at the container again
 * (an operator's stop during the probe is what may have made it fail).
 */
export async function recoveredMeanwhile(w: ContainerWatch, fresh: ContainerInfo, waited: boolean): Promise<'recovered' | 'held' | 'probed' | false> {
  const docker = w.policy.liveness?.spec.kind === 'docker';
  const onePass = (w.policy.liveness?.successes ?? 1) <= 1;
  if (w.state.liveness.up === true || (docker && fresh.health === 'healthy')) return recovered(w);
  if (docker || !waited || !onePass) return false;
  const now = await w.passesNow();
  if (now === 'unsure') {
    // (Not always over its own share: the total may be spent, or, never matched yet, its other probe's
    // first match may be out: one match of unknown cost at a time. The message names all three.)
    w.log.warn("restart held: its liveness could not be checked again (its body matching was put off by healer's matching budget: over its share, all matching over theirs, or its first match still under way); its next liveness probe decides");
    return 'held';
  }
  if (now === 'inconclusive') {
    w.log.warn('restart held: its liveness re-check got no answer healer can judge (inconclusive: the engine did not answer its exec in time, or its target could not be routed); its next liveness probe decides');
    return 'held';
  }
  return now === 'pass' ? recovered(w) : 'probed';
}

function recovered(w: ContainerWatch): 'recovered' {
  w.log.info('restart skipped: the container recovered while it waited');
  return 'recovered';
}

/**
 * The restart counted at the decision is taken back; `recovered`: the pass that made it unneeded is
 * counted; `held`: the restart stays decided, sent on the next failing liveness probe (a pass recovers).
 */
export function afterRecheck(w: ContainerWatch, how: 'recovered' | 'held', want: Pending, now: number): void {
  if (how === 'held') return w.feed({ type: 'restart_done', ok: true, skipped: true, held: { ...want, recheckHeld: true }, at: now });
  w.feed({ type: 'restart_done', ok: true, skipped: true, at: now });
  w.feed(w.policy.liveness?.spec.kind === 'docker' ? { type: 'health', status: 'healthy', at: now } : { type: 'probe', role: 'liveness', ok: true, at: now });
}
