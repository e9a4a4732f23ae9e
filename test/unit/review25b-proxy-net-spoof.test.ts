import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProxyNet, proxyNetWarnings, type ProxyNet } from '../../src/config/proxies.ts';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';

// Review 25b. `server.trusted_proxies` takes CIDRs, and README's own example is a Docker network
// (`172.18.0.0/16`): the network a Traefik shares with the apps it routes to, i.e. with tenants'
// containers, which reach healer's listener on it too. Every peer inside a listed network is believed,
// and when every X-Forwarded-For entry is itself inside it, the left-most (pure client text) is taken.
// Trigger: trusted_proxies lists the network the proxy sits in; another container on that network (an
// untrusted tenant) connects to the listener directly and sends 10 wrong bearer tokens with
// `X-Forwarded-For: <Prometheus' address>` (also inside the network).
// What happens: the wrong tokens are charged to Prometheus' address; Prometheus' next scrape, with the
// right bearer token, from its own address, gets 429 (its own limit is spent), for as long as the tenant
// keeps it up: 10 requests a minute shut healer's metrics (and every alert built on them) out.
// What should: a client cannot charge its wrong tokens to an address it does not hold (SECURITY.md rule
// 5: "a client that reaches the listener directly cannot choose the address it is counted under"); a
// network entry covering clients must not let them, or must be refused/warned, and the README must not
// suggest one. (Here 127.0.0.0/8 stands in for the Docker network: loopback only.)

const TOKEN = 'a-token-of-twenty-chars';
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function net(text: string): ProxyNet {
  const r = parseProxyNet(text);
  if (!r.ok) throw new Error(r.error);
  return r.net;
}

function send(port: number, from: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', localAddress: from, headers: { ...headers, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject).end();
  });
}

// Fix (s25-fix-b): healer cannot tell a proxy from another client in the same network (both are peers in
// it; the header is text), so no code can make a network entry safe when clients share it. The test is
// changed to assert what the product now does instead of the 200 above: such an entry is warned about
// at start (and by `healer check`, same function), the README's example is the proxy's own fixed address,
// and listed that way the tenant's spoof is counted under its own address. Without the change the
// warning function does not exist and the README shows `172.18.0.0/16`.
describe('a trusted proxy network that also holds clients', () => {
  it('is warned about at start: every client in it can choose the address it is counted under', async () => {
    expect(proxyNetWarnings([net('172.18.0.2'), net('172.18.0.2/32'), net('::1'), net('fd00::5/128')])).toEqual([]);
    const warned = proxyNetWarnings([net('172.18.0.0/16'), net('fd00::/64')]);
    expect(warned).toHaveLength(2);
    expect(warned[0]).toContain('172.18.0.0/16');
    expect(warned[0]).toContain('every client in it');
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const sources = { watchdog: undefined, alerter: undefined };
    server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, trustedProxies: [net('127.0.0.0/8')], metrics: new Metrics(sources), sources, log: pino({ level: 'info' }, sink) });
    const warn = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40 && l.msg.includes('127.0.0.0/8'));
    expect(warn?.msg).toContain('every client in it');
  });

  it("listed by the proxy's own address, a tenant on its network cannot lock Prometheus out by naming its address", async () => {
    const sources = { watchdog: undefined, alerter: undefined };
    const proxy = '127.0.0.7';
    server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, trustedProxies: [net(proxy)], metrics: new Metrics(sources), sources, log: pino({ level: 'silent' }) });
    const prometheus = '127.0.0.5';
    const tenant = '127.0.0.9';
    for (let i = 0; i < 10; i++) await send(server.port, tenant, { authorization: `Bearer guess-${i}`, 'x-forwarded-for': prometheus });
    expect(await send(server.port, prometheus, { authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await send(server.port, tenant, { authorization: `Bearer guess-x` })).toBe(429);
  });

  it("the README's example is the proxy's own fixed address, not its network", () => {
    const row = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n').find((l) => l.startsWith('| `server.trusted_proxies`')) ?? '';
    expect(row).toContain('ipv4_address');
    expect(row).not.toContain('`172.18.0.0/16`');
  });
});
