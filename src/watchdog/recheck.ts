import type { ContainerInfo } from '../docker/types.ts';
import type { ContainerWatch } from './container-watch.ts';

/**
 * Whether a restart decided for failing liveness probes is no longer needed when its turn comes: the
 * watch saw the container recover, its HEALTHCHECK reads healthy in the fresh inspect, or (after waiting
 * for a restart slot, while no probe runs) its probe, run once more, passes, when one pass is recovery
 * by its own rule (`healer.liveness.successes` 1): with more, one lucky pass of a flapping app is not,
 * as the state machine judges it. healer never restarts a container that no longer needs it.
 */
export async function recoveredMeanwhile(w: ContainerWatch, fresh: ContainerInfo, waited: boolean): Promise<boolean> {
  const docker = w.policy.liveness?.spec.kind === 'docker';
  const onePass = (w.policy.liveness?.successes ?? 1) <= 1;
  const recovered = w.state.liveness.up === true || (docker ? fresh.health === 'healthy' : waited && onePass && (await w.passesNow()));
  if (recovered) w.log.info('restart skipped: the container recovered while it waited');
  return recovered;
}

/** The restart counted at the decision is taken back, and the pass that made it unneeded is counted. */
export function feedRecovered(w: ContainerWatch, now: number): void {
  w.feed({ type: 'restart_done', ok: true, skipped: true, at: now });
  w.feed(w.policy.liveness?.spec.kind === 'docker' ? { type: 'health', status: 'healthy', at: now } : { type: 'probe', role: 'liveness', ok: true, at: now });
}
