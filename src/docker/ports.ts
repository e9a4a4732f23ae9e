import type { PublishedPort } from './types.ts';

/** One binding as both engines write it: `{ "HostIp": "", "HostPort": "9299" }`. */
interface RawBinding {
  readonly HostIp?: string | null;
  readonly HostPort?: string | null;
}

/** `"9299/tcp": [bindings]`; Docker writes `null` for a port exposed but not published. */
type RawPortMap = Readonly<Record<string, readonly RawBinding[] | null | undefined>> | null | undefined;

/** The addresses an engine writes for "every address of the host". */
const EVERY_ADDRESS = new Set(['', '0.0.0.0', '::']);

/**
 * The host ports a container publishes, from inspect's `HostConfig.PortBindings` (what it asked for:
 * Docker keeps a range `9300-9310` and an empty port for "any" there) and `NetworkSettings.Ports` (what
 * the engine bound while it runs: the port it picked). Both, because a port healer's container asked for
 * is one a label must not reach healer through, even in a moment the engine does not show it as bound.
 * Docker writes `0.0.0.0` and `::` for every address, Podman `""`; both become `''` here. Ranges are
 * kept as ranges (Podman expands them itself). On the host network an engine publishes nothing (Docker
 * keeps the bindings it discarded, Podman drops them): none.
 */
export function publishedPorts(networkMode: string, portBindings: unknown, ports: unknown): PublishedPort[] {
  if (networkMode === 'host') return [];
  const out = new Map<string, PublishedPort>();
  for (const map of [portBindings as RawPortMap, ports as RawPortMap]) {
    for (const [key, bindings] of Object.entries(map ?? {})) {
      const m = /^(\d{1,5})(?:\/([a-z]+))?$/.exec(key);
      if (!m || !Array.isArray(bindings)) continue;
      const containerPort = Number(m[1]);
      const protocol = m[2] ?? 'tcp';
      for (const b of bindings as readonly RawBinding[]) {
        const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(String(b?.HostPort ?? '').trim());
        if (!range) continue; // "" before the engine picks a port: the port it picks is in NetworkSettings.Ports
        const hostPort = Number(range[1]);
        const lastHostPort = range[2] === undefined ? hostPort : Number(range[2]);
        if (hostPort < 1 || lastHostPort < hostPort || lastHostPort > 65535) continue;
        const ip = String(b?.HostIp ?? '').trim();
        const hostIp = EVERY_ADDRESS.has(ip) ? '' : ip.replace(/^\[(.*)\]$/, '$1');
        const p: PublishedPort = { containerPort, protocol, hostIp, hostPort, lastHostPort };
        out.set(`${containerPort}/${protocol} ${hostIp} ${hostPort}-${lastHostPort}`, p);
      }
    }
  }
  return [...out.values()];
}
