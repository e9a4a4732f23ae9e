import type { ContainerInfo } from '../docker/types.ts';
import type { ContainerWatch } from './container-watch.ts';

/**
 * Whether two inspects of a container send a probe the same way: the same network mode and the same
 * address on each network. Probes are routed from the watch's inspect data at each probe (probe-route.ts).
 */
export function sameRoute(a: Pick<ContainerInfo, 'networkMode' | 'networks'>, b: Pick<ContainerInfo, 'networkMode' | 'networks'>): boolean {
  if (a.networkMode !== b.networkMode) return false;
  const names = Object.keys(a.networks);
  return names.length === Object.keys(b.networks).length && names.every((n) => b.networks[n] === a.networks[n]);
}

/** Whether a probe of this watch goes over the network (http, tcp), so that where it goes matters. */
export function probedOverNetwork(w: Pick<ContainerWatch, 'policy'>): boolean {
  return [w.policy.liveness, w.policy.readiness].some((p) => p?.spec.kind === 'http' || p?.spec.kind === 'tcp');
}

/**
 * Takes fresh inspect data in. When the container's networks changed (`docker network disconnect`, a
 * connect, a start on new addresses), its probes go to its address now, and the results of probes sent
 * to the old one are not held against it (`rerouted`): a probe healer can no longer route is inconclusive,
 * never a reason to restart a healthy container. True when the route changed.
 */
export function takeInfo(w: ContainerWatch, info: ContainerInfo, now: number): boolean {
  const moved = !sameRoute(w.info, info);
  w.info = info;
  if (moved && probedOverNetwork(w)) {
    w.log.info({ networks: Object.keys(info.networks) }, "the container's networks changed; probes go to its address now and earlier failures no longer count");
    w.feed({ type: 'rerouted', at: now });
  }
  return moved;
}
