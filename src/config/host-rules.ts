import { BlockList, isIP } from 'node:net';

/**
 * `probes.allow_hosts` entries and the address comparisons the probe rules (confine.ts) make with them:
 * the same host written either way, loopback in all its forms, a host inside a listed network.
 */

/** One `probes.allow_hosts` entry: a name, or a network (a single IP is a /32 or /128). */
export type HostRule =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'net'; readonly address: string; readonly prefix: number; readonly family: 'ipv4' | 'ipv6' };

// Loopback, and the unspecified addresses a connect() on Linux also sends to loopback (0.0.0.0, ::).
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

/**
 * `db`, `10.0.0.5`, `10.0.0.0/8`, `fd00::/8`, `[::1]`: one allow-list entry, or an error sentence. Names
 * follow DNS rules (letters, digits, dashes, dots, underscores as compose uses them).
 */
export function parseHostRule(text: string): { ok: true; rule: HostRule } | { ok: false; error: string } {
  const t = text.trim().toLowerCase();
  const bad = { ok: false as const, error: `${JSON.stringify(text)} is not a host name, IP address or CIDR (try db, 10.0.0.5 or 10.0.0.0/24)` };
  const slash = t.indexOf('/');
  const addr = unbracket(slash < 0 ? t : t.slice(0, slash));
  const family = isIP(addr);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const bits = slash < 0 ? String(max) : t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return bad;
    return { ok: true, rule: { kind: 'net', address: addr, prefix: Number(bits), family: family === 4 ? 'ipv4' : 'ipv6' } };
  }
  if (slash >= 0 || t.length === 0 || t.length > 253) return bad;
  if (!t.split('.').every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) return bad;
  return { ok: true, rule: { kind: 'name', name: t } };
}

/** Renders a rule as it would be written, for messages. */
export function formatHostRule(r: HostRule): string {
  if (r.kind === 'name') return r.name;
  const whole = r.prefix === (r.family === 'ipv4' ? 32 : 128);
  return whole ? r.address : `${r.address}/${r.prefix}`;
}

/** The same host, written either way (`10.0.0.5` and `::ffff:10.0.0.5`, names in any case). */
export function sameHost(a: string, b: string): boolean {
  const fa = familyOf(a);
  const fb = familyOf(b);
  if (fa === undefined || fb === undefined) return a.toLowerCase() === b.toLowerCase();
  const list = new BlockList();
  list.addAddress(b, fb);
  return list.check(a, fa);
}

/** `localhost`, 127.0.0.0/8, ::1, and the unspecified addresses Linux connects to loopback. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = familyOf(host);
  return family !== undefined && LOOPBACK.check(host, family);
}

/** An entry that names this very host (a name, or a single address): the only way to reach a forbidden target. */
export function explicitRule(host: string, allow: readonly HostRule[]): boolean {
  if (host === '') return false;
  return allow.some((r) => (r.kind === 'name' ? r.name === host : r.prefix === (r.family === 'ipv4' ? 32 : 128) && sameAddress(r, host)));
}

/** Whether an IP is inside a network (or is an address) `probes.allow_hosts` lists. */
export function allowedByNet(host: string, allow: readonly HostRule[]): boolean {
  const family = familyOf(host);
  if (family === undefined) return false;
  return allow.some((r) => {
    if (r.kind !== 'net') return false;
    const b = new BlockList();
    b.addSubnet(r.address, r.prefix, r.family);
    return b.check(host, family);
  });
}

function sameAddress(r: Extract<HostRule, { kind: 'net' }>, host: string): boolean {
  const family = familyOf(host);
  if (family === undefined) return false;
  const b = new BlockList();
  b.addAddress(r.address, r.family);
  return b.check(host, family);
}

/** `ipv4`/`ipv6` for an IP address, undefined for a name. */
export function familyOf(host: string): 'ipv4' | 'ipv6' | undefined {
  const f = isIP(host);
  return f === 4 ? 'ipv4' : f === 6 ? 'ipv6' : undefined;
}

/** `[::1]` → `::1`. */
export function unbracket(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
