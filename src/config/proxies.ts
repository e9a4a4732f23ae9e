import { BlockList } from 'node:net';
import * as z from 'zod/mini';
import { described, refined } from './fields.ts';
import { parseHostRule } from './host-rules.ts';

/** One `server.trusted_proxies` entry: a network (a single address is a /32 or /128). */
export interface ProxyNet {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * `172.18.0.2`, `172.18.0.0/16`, `::1`: a reverse proxy healer takes `X-Forwarded-For` from, or an error
 * sentence naming the entry. Addresses only, no names: a name would be looked up again and again, and
 * whoever controls its resolution could make any client trusted. An entry holding every IPv4 or IPv6
 * address is refused: every client could then choose the address its wrong tokens are counted under
 * (SECURITY.md rule 5); a narrower network is accepted with a warning (proxyNetWarnings).
 */
export function parseProxyNet(text: string): { ok: true; net: ProxyNet } | { ok: false; error: string } {
  const r = parseHostRule(text);
  if (!r.ok || r.rule.kind !== 'net') {
    return { ok: false, error: `${JSON.stringify(text)} is not an IP address or CIDR (try 172.18.0.2, the proxy's own address; a proxy is trusted by its address, not its name)` };
  }
  const { address, prefix, family } = r.rule;
  if (coversEveryone({ address, prefix, family })) {
    return { ok: false, error: `${JSON.stringify(text)} trusts every ${family === 'ipv6' && prefix > 0 ? 'IPv4 ' : ''}address: any client could then choose its address in X-Forwarded-For; list the proxy's own address` };
  }
  return { ok: true, net: { address, prefix, family } };
}

/**
 * Whether an entry holds every IPv4 or every IPv6 address, as the listener matches peers (node:net's
 * BlockList, which also matches an IPv4 peer against an IPv4-mapped IPv6 network): `0.0.0.0/0`, `::/0`,
 * and also `::ffff:0:0/96` or `::/1`, which are every IPv4 address in mapped form. A contiguous network
 * holding both ends of a family's range holds all of it.
 */
function coversEveryone(net: ProxyNet): boolean {
  const list = new BlockList();
  list.addSubnet(net.address, net.prefix, net.family);
  const all = (family: 'ipv4' | 'ipv6', low: string, high: string): boolean => list.check(low, family) && list.check(high, family);
  return all('ipv4', '0.0.0.0', '255.255.255.255') || all('ipv6', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
}

/**
 * One warning per entry wider than one address (logged as the listener starts, shown by `healer check`).
 * healer cannot tell a proxy from another client in the same network: every peer in a listed network is
 * believed, so a tenant's container on the proxy's Docker network can write Prometheus' address in
 * X-Forwarded-For and spend its wrong-token limit (SECURITY.md rule 5). Such an entry is right only for a
 * network that holds nothing but the proxy (and healer).
 */
export function proxyNetWarnings(nets: readonly ProxyNet[]): string[] {
  return nets
    .filter((n) => n.prefix < (n.family === 'ipv4' ? 32 : 128))
    .map((n) => `server.trusted_proxies: ${n.address}/${n.prefix} is a network, not one address: every client in it that reaches the listener is taken for a proxy and can choose the address its wrong tokens are counted under (another client's, Prometheus'); list the proxy's own fixed address (compose ipv4_address), or a network that holds only the proxy and healer`);
}

/**
 * `server.trusted_proxies`: a YAML list, or `a,b` (the environment's spelling). Entries are checked one by
 * one, so every bad one is named at once.
 */
export const trustedProxiesField = described(
  refined(z.union([z.string(), z.array(z.union([z.string(), z.number()]))]), (v, ctx): readonly ProxyNet[] => {
    const entries = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v.map(String);
    const nets: ProxyNet[] = [];
    entries.forEach((entry, i) => {
      const r = parseProxyNet(entry);
      if (r.ok) nets.push(r.net);
      // A list's entry is named by its index (and line); the environment's text by the message alone.
      else ctx.addIssue({ code: 'custom', message: r.error, ...(typeof v === 'string' ? {} : { path: [i] }) });
    });
    return nets;
  }),
  { description: "IP addresses (or CIDRs) of reverse proxies in front of the listener: the proxy's own fixed address (172.18.0.2, ::1)" },
);
