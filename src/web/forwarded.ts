import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { ProxyNet } from '../config/proxies.ts';

/**
 * The address a request's wrong tokens are counted under (throttle.ts). Behind a reverse proxy every
 * client has the proxy's address, so one guesser would lock every operator out; with
 * `server.trusted_proxies` the client's address is taken from `X-Forwarded-For`, but only when the
 * socket's peer is one of those proxies (a direct client's header is never read, so it cannot choose its
 * address), and only the right-most entry not itself a trusted proxy: each proxy appends the address it
 * was reached from, while entries left of that are whatever the client wrote.
 */
export function forwardedClient(trusted: readonly ProxyNet[]): (req: IncomingMessage) => string {
  const peer = (req: IncomingMessage): string => req.socket.remoteAddress ?? '';
  if (trusted.length === 0) return peer;
  const list = new BlockList();
  for (const n of trusted) list.addSubnet(n.address, n.prefix, n.family);
  return (req) => {
    const header = req.headers['x-forwarded-for'];
    return clientAddress(peer(req), Array.isArray(header) ? header.join(',') : header, list);
  };
}

/** See forwardedClient; exported for its tests. Node joins repeated X-Forwarded-For headers with commas. */
export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: BlockList): string {
  if (!isTrusted(peer, trusted) || forwardedFor === undefined) return peer;
  let client = peer;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const address = plainAddress(hops[i] ?? '');
    // Not an address (`unknown`, a name, garbage): nothing left of it can be told from what the client
    // wrote, so the last trusted hop's address stands (its clients share its limit, as without the setting).
    if (address === undefined) return client;
    client = address;
    if (!isTrusted(address, trusted)) return address;
  }
  // Every entry a trusted proxy: the left-most is the client (a proxy asking for itself).
  return client;
}

function isTrusted(address: string, trusted: BlockList): boolean {
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `203.0.113.5`, `203.0.113.5:4711`, `2001:db8::1`, `[2001:db8::1]:4711` → the address; else undefined. */
function plainAddress(entry: string): string | undefined {
  const t = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(t);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(t);
  const address = bracketed?.[1] ?? withPort?.[1] ?? t;
  return isIP(address) === 0 ? undefined : address;
}
