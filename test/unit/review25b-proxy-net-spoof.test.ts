import { request } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProxyNet, type ProxyNet } from '../../src/config/proxies.ts';
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

describe('a trusted proxy network that also holds clients', () => {
  it("a tenant on the proxy's network cannot lock Prometheus out by naming its address", async () => {
    const sources = { watchdog: undefined, alerter: undefined };
    server = await startServer({
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      trustedProxies: [net('127.0.0.0/8')],
      metrics: new Metrics(sources),
      sources,
      log: pino({ level: 'silent' }),
    });
    const prometheus = '127.0.0.5';
    const tenant = '127.0.0.9';
    for (let i = 0; i < 10; i++) await send(server.port, tenant, { authorization: `Bearer guess-${i}`, 'x-forwarded-for': prometheus });
    // Prometheus, from its own address, with the right token, never guessed anything:
    expect(await send(server.port, prometheus, { authorization: `Bearer ${TOKEN}` })).toBe(200);
    // The tenant's own address is what its guesses should have spent:
    expect(await send(server.port, tenant, { authorization: `Bearer guess-x` })).toBe(429);
  });
});
