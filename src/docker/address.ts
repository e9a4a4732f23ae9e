import type { ContainerInfo } from './types.ts';

export type AddressResult = { ok: true; address: string } | { ok: false; error: string };

/**
 * The address an empty probe host stands for. Host-network containers answer on 127.0.0.1. Otherwise
 * the container's IP on the network named by `healer.network`, else on a network healer shares with
 * it, else (healer outside Docker, or no shared network) its only or first network with an address.
 * A container sharing another's namespace (`container:<id>`) has no address of its own; the caller
 * resolves the owner and passes it in.
 */
export function resolveAddress(
  c: ContainerInfo,
  opts: { network?: string | undefined; selfNetworks?: readonly string[]; owner?: ContainerInfo | undefined },
): AddressResult {
  if (c.networkMode.startsWith('container:')) {
    if (!opts.owner) return { ok: false, error: `shares the network of ${c.networkMode.slice(10)}, which is not running` };
    return resolveAddress(opts.owner, { ...opts, owner: undefined });
  }
  if (c.networkMode === 'host') return { ok: true, address: '127.0.0.1' };
  const withIp = Object.entries(c.networks).filter(([, ip]) => ip !== '');
  if (opts.network !== undefined) {
    const ip = c.networks[opts.network];
    if (!ip) return { ok: false, error: `has no address on network "${opts.network}" (healer.network)` };
    return { ok: true, address: ip };
  }
  const shared = withIp.find(([name]) => opts.selfNetworks?.includes(name));
  if (shared) return { ok: true, address: shared[1] };
  const sorted = withIp.sort(([a], [b]) => a.localeCompare(b));
  const first = sorted[0];
  if (first) return { ok: true, address: first[1] };
  return { ok: false, error: `has no network address (network mode "${c.networkMode}"); set a probe host or healer.network` };
}
