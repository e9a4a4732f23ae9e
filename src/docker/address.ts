import type { ContainerInfo, NetworkKind, PublishedPort } from './types.ts';

export type AddressResult = { ok: true; address: string } | { ok: false; error: string };

/** Where healer itself runs: outside Docker, or in a container on the host network or on these networks. */
export interface SelfNetwork {
  readonly inContainer: boolean;
  readonly hostNetwork: boolean;
  readonly networks: readonly string[];
  /** The host ports healer's container publishes: through them the host's addresses lead to healer (config/published.ts). */
  readonly published?: readonly PublishedPort[] | undefined;
}

export const OUTSIDE_DOCKER: SelfNetwork = { inContainer: false, hostNetwork: false, networks: [] };

/** Where healer (or `healer check`) sits on the network, from its own container's inspect data (none: the host). */
export function selfNetworkOf(own: ContainerInfo | undefined): SelfNetwork {
  if (!own) return OUTSIDE_DOCKER;
  return { inContainer: true, hostNetwork: own.networkMode === 'host', networks: Object.keys(own.networks), published: own.published ?? [] };
}

/**
 * A network's entry, own properties only: healer.network is a label author's text, and
 * `healer.network=constructor` must not find Object's constructor as the container's address.
 */
function own<T>(map: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return map !== undefined && Object.hasOwn(map, name) ? map[name] : undefined;
}

/**
 * The address an empty probe host stands for. Host-network containers answer on 127.0.0.1. Otherwise
 * the container's IP on the network named by `healer.network`, else on a network healer shares with
 * it, else (healer outside Docker or on the host network, which reach a bridge but not an overlay, nor
 * a macvlan or ipvlan through its parent interface) its first bridge network by name, then its first
 * network of a driver healer does not know (or of none learned: networks.ts). A container sharing
 * another's namespace (`container:<id>`) has no address of its own; the caller resolves the owner and
 * passes it in. A Swarm task on swarm networks is reached only through a network healer shares with it.
 * An address healer cannot reach from where it runs is an error (a configuration problem), never a guess.
 */
export function resolveAddress(
  c: ContainerInfo,
  opts: { network?: string | undefined; self?: SelfNetwork; owner?: ContainerInfo | undefined },
): AddressResult {
  const self = opts.self ?? OUTSIDE_DOCKER;
  if (c.networkMode.startsWith('container:')) {
    if (!opts.owner) return { ok: false, error: `shares the network of ${c.networkMode.slice(10, 22)}, which healer does not watch or which is not running; set a probe host` };
    return resolveAddress(opts.owner, { ...opts, owner: undefined });
  }
  if (c.networkMode === 'host') {
    if (self.inContainer && !self.hostNetwork) return { ok: false, error: 'is on the host network, which healer in a container of its own network (a bridge or an overlay) cannot reach at 127.0.0.1; run healer on the host network (network_mode: host, or compose/stack.yml on Swarm)' };
    return { ok: true, address: '127.0.0.1' };
  }
  const withIp = Object.entries(c.networks).filter(([, ip]) => ip !== '');
  // A Swarm task's networks are the swarm's (overlay, ingress): reachable from a container on the same
  // network only, never from the host's network namespace (healer on the host network or outside Docker).
  // On a predefined node-local network (`--network bridge`) Swarm sets it as the network mode: docker0,
  // reached as any bridged container is.
  const swarmNetworks = c.task !== undefined && c.networkMode !== 'bridge';
  const overlay = (names: readonly string[]): AddressResult => ({
    ok: false,
    error: `is a Swarm task on ${names.join(', ')} (swarm networks, which healer reaches only from a container on the same network); attach healer to one of them (an attachable overlay) or set a probe host`,
  });
  // From the host's network namespace (healer outside Docker or on the host network).
  const fromHost = !self.inContainer || self.hostNetwork;
  const reach = (name: string): Reach => reachOf(own(c.networkKinds, name));
  if (opts.network !== undefined) {
    const ip = own(c.networks, opts.network);
    if (!ip) return { ok: false, error: `has no address on network "${opts.network}" (healer.network)` };
    if (swarmNetworks && !self.networks.includes(opts.network)) return overlay([opts.network]);
    // A macvlan or ipvlan named here is taken as asked: a host with a shim interface reaches it.
    const kind = own(c.networkKinds, opts.network);
    if (fromHost && !self.networks.includes(opts.network) && kind !== undefined && isSwarmScoped(kind)) {
      return { ok: false, error: `is probed on network "${opts.network}" (healer.network), ${describe(kind)}, which healer on the host network or outside Docker cannot reach; name a bridge network in healer.network, set a probe host, or run healer in a container attached to "${opts.network}"` };
    }
    return { ok: true, address: ip };
  }
  const shared = withIp.find(([name]) => self.networks.includes(name));
  if (shared) return { ok: true, address: shared[1] };
  if (swarmNetworks && withIp.length > 0) return overlay(withIp.map(([n]) => n).sort());
  if (self.inContainer && !self.hostNetwork && withIp.length > 0) {
    return { ok: false, error: `shares no network with healer (it is on ${withIp.map(([n]) => n).join(', ')}); attach healer to one of them or set healer.network` };
  }
  const sorted = withIp.sort(([a], [b]) => a.localeCompare(b));
  const first = sorted.find(([n]) => reach(n) === 'bridge') ?? sorted.find(([n]) => reach(n) === 'unknown');
  if (first) return { ok: true, address: first[1] };
  if (sorted.length > 0) {
    const on = sorted.map(([n]) => `"${n}" (${describe(own(c.networkKinds, n))})`).join(', ');
    return { ok: false, error: `is only on networks healer on the host network or outside Docker cannot reach: ${on}; set healer.network to a bridge network it is also on, set a probe host, or run healer in a container attached to one of them` };
  }
  return { ok: false, error: `has no network address (network mode "${c.networkMode}"); set a probe host or healer.network` };
}

/** How the host's network namespace reaches a network: a bridge, never (overlay, macvlan, ipvlan), or unknown (a plugin's driver, or not learned). */
type Reach = 'bridge' | 'none' | 'unknown';

const UNREACHABLE_DRIVERS = new Set(['overlay', 'macvlan', 'ipvlan']);

function reachOf(kind: NetworkKind | undefined): Reach {
  if (kind === undefined) return 'unknown';
  if (isSwarmScoped(kind) || UNREACHABLE_DRIVERS.has(kind.driver)) return 'none';
  return kind.driver === 'bridge' ? 'bridge' : 'unknown';
}

/** An overlay (or any swarm-scoped network): it has no interface in the host's network namespace at all. */
function isSwarmScoped(kind: NetworkKind): boolean {
  return kind.scope === 'swarm' || kind.driver === 'overlay';
}

function describe(kind: NetworkKind | undefined): string {
  return kind ? `driver ${kind.driver}${kind.scope ? `, scope ${kind.scope}` : ''}` : 'driver unknown';
}
