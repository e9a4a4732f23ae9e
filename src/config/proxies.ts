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
 * whoever controls its resolution could make any client trusted. A /0 is refused: every client could then
 * choose the address its wrong tokens are counted under (SECURITY.md rule 5).
 */
export function parseProxyNet(text: string): { ok: true; net: ProxyNet } | { ok: false; error: string } {
  const r = parseHostRule(text);
  if (!r.ok || r.rule.kind !== 'net') {
    return { ok: false, error: `${JSON.stringify(text)} is not an IP address or CIDR (try 172.18.0.2 or 172.18.0.0/16; a proxy is trusted by its address, not its name)` };
  }
  const { address, prefix, family } = r.rule;
  if (prefix === 0) {
    return { ok: false, error: `${JSON.stringify(text)} trusts every address: any client could then choose its address in X-Forwarded-For; list the proxy's address or its network` };
  }
  return { ok: true, net: { address, prefix, family } };
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
  { description: 'IP addresses or CIDRs of reverse proxies in front of the listener (172.18.0.0/16, ::1)' },
);
