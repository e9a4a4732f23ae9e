import type { PublishedPort } from '../docker/types.ts';
import type { ListenAddress } from './fields.ts';
import { familyOf, isLoopback, sameHost } from './host-rules.ts';

/**
 * healer's listener through a port its own container publishes on the host (SECURITY.md, rule 1): with
 * `ports: ["9299:9299"]` in compose, or `mode: host` in a Swarm stack, `<a host address>:9299` leads to
 * healer, and that address is not one of healer's own network namespace, so the listener's own
 * addresses do not catch it. Read from healer's own container (docker/ports.ts) when healer reads it.
 */

/** The bindings of healer's container that lead to its listener: TCP, server.listen's port. */
export function listenerBindings(published: readonly PublishedPort[], listen: ListenAddress): PublishedPort[] {
  if (listen === false) return [];
  return published.filter((p) => p.protocol === 'tcp' && p.containerPort === listen.port);
}

/**
 * The binding through which `host:port` reaches healer's listener, if any. A binding to every address
 * (`''`) is reached at any address of the host, which healer cannot list from its own namespace: every
 * IP counts, and the caller exempts a bridge or overlay container's own IP (that is the container's own
 * port, never the host's). A binding to one address is reached there (loopback in any form for a
 * loopback one). A name is judged on the addresses it resolves to (probes/pin.ts), never as written.
 */
export function publishedListenerAt(host: string, port: number, bindings: readonly PublishedPort[]): PublishedPort | undefined {
  if (host !== 'localhost' && familyOf(host) === undefined) return undefined;
  return bindings.find((b) => port >= b.hostPort && port <= b.lastHostPort && (b.hostIp === '' || sameHost(host, b.hostIp) || (isLoopback(b.hostIp) && isLoopback(host))));
}

/** `host port 18299 (every host address) → 9299/tcp`, for messages. */
export function describeBinding(b: PublishedPort): string {
  const ports = b.hostPort === b.lastHostPort ? `host port ${b.hostPort}` : `host ports ${b.hostPort}-${b.lastHostPort}`;
  const at = b.hostIp === '' ? 'every host address' : b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp;
  return `${ports} on ${at} → ${b.containerPort}/${b.protocol}`;
}
