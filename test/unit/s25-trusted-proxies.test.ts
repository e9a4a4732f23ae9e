import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { BlockList } from 'node:net';
import { tmpdir } from 'node:os';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ProxyNet } from '../../src/config/proxies.ts';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';
import { clientAddress } from '../../src/web/forwarded.ts';

// Session 25: behind a reverse proxy (Traefik, nginx, Caddy in front of healer's port) every client has
// the proxy's address, so one guesser's 10 wrong tokens answered 429 to every operator's login and
// bearer token for the minute. `server.trusted_proxies` (opt-in) takes the client's address from
// X-Forwarded-For, only when the socket's peer is a listed proxy, and only its right-most entry that is not
// itself a trusted proxy (each proxy appends the address it was reached from; the rest is the client's
// text). The forwarded addresses here are header text only (203.0.113.0/24, 2001:db8::/32 are for
// documentation); every connection is on loopback.

const TOKEN = 'a-token-of-twenty-chars';
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(trustedProxies: readonly ProxyNet[] | undefined, host = '127.0.0.1'): Promise<number> {
  const sources = { watchdog: undefined, alerter: undefined };
  server = await startServer({ listen: { host, port: 0 }, token: TOKEN, ...(trustedProxies ? { trustedProxies } : {}), metrics: new Metrics(sources), sources, log: pino({ level: 'silent' }) });
  return server.port;
}

/** One request to the listener at `host` from the loopback address `from`; resolves to its status. */
function send(port: number, from: string, headers: Record<string, string>, opts: { host?: string; login?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const login = opts.login !== undefined;
    const req = request(
      { host: opts.host ?? '127.0.0.1', port, method: login ? 'POST' : 'GET', path: login ? '/login' : '/api/status', localAddress: from, headers: { ...headers, ...(login ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject).end(login ? `token=${opts.login ?? ''}` : undefined);
  });
}

const nets = (...entries: string[]): readonly ProxyNet[] => loadConfig(undefined, { HEALER_SERVER_TRUSTED_PROXIES: entries.join(',') }).config.server.trusted_proxies;
const wrong = (i: number): Record<string, string> => ({ authorization: `Bearer guess-${i}` });
const right = { authorization: `Bearer ${TOKEN}` };

describe('server.trusted_proxies in watchdog.yml and the environment', () => {
  const dir = mkdtempSync(`${tmpdir()}/healer-proxies-`);
  const problems = (run: () => unknown): readonly string[] => {
    try {
      run();
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('is empty by default; takes a YAML list or a comma-separated variable', () => {
    expect(loadConfig(undefined, {}).config.server.trusted_proxies).toEqual([]);
    writeFileSync(`${dir}/ok.yml`, 'server:\n  trusted_proxies: [127.0.0.1, "172.18.0.0/16", "::1"]\n');
    expect(loadConfig(`${dir}/ok.yml`, {}).config.server.trusted_proxies).toEqual([
      { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
      { address: '172.18.0.0', prefix: 16, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
    ]);
    expect(nets('10.0.0.0/8', ' fd00::/8 ')).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
  });

  it('names every bad entry: a name, a bad prefix, a network of everyone', () => {
    writeFileSync(`${dir}/bad.yml`, 'server:\n  trusted_proxies:\n    - 127.0.0.1\n    - traefik\n    - 10.0.0.0/33\n    - ::/0\n');
    expect(problems(() => loadConfig(`${dir}/bad.yml`, {}))).toEqual([
      `${dir}/bad.yml:4: server.trusted_proxies[1]: "traefik" is not an IP address or CIDR (try 172.18.0.2, the proxy's own address; a proxy is trusted by its address, not its name)`,
      `${dir}/bad.yml:5: server.trusted_proxies[2]: "10.0.0.0/33" is not an IP address or CIDR (try 172.18.0.2, the proxy's own address; a proxy is trusted by its address, not its name)`,
      `${dir}/bad.yml:6: server.trusted_proxies[3]: "::/0" trusts every address: any client could then choose its address in X-Forwarded-For; list the proxy's own address`,
    ]);
    expect(problems(() => loadConfig(undefined, { HEALER_SERVER_TRUSTED_PROXIES: '127.0.0.1,0.0.0.0/0' }))).toEqual([
      `environment HEALER_SERVER_TRUSTED_PROXIES: "0.0.0.0/0" trusts every address: any client could then choose its address in X-Forwarded-For; list the proxy's own address`,
    ]);
  });
});

describe('clientAddress: the right-most forwarded address that is not a trusted proxy', () => {
  const trusted = new BlockList();
  trusted.addSubnet('127.0.0.1', 32, 'ipv4');
  trusted.addSubnet('10.0.0.0', 8, 'ipv4');
  trusted.addSubnet('::1', 128, 'ipv6');
  it.each([
    ['a peer not trusted: its header is not read', '127.0.0.2', '203.0.113.5', '127.0.0.2'],
    ['a trusted peer without the header (its own request)', '127.0.0.1', undefined, '127.0.0.1'],
    ['one hop', '127.0.0.1', '203.0.113.5', '203.0.113.5'],
    ['what the client wrote left of it is ignored', '127.0.0.1', '198.51.100.1, 203.0.113.5', '203.0.113.5'],
    ['a chain of trusted proxies', '127.0.0.1', '198.51.100.1, 203.0.113.5, 10.0.0.2', '203.0.113.5'],
    ['every hop trusted: the left-most', '127.0.0.1', '10.0.0.3, 10.0.0.2', '10.0.0.3'],
    ['not an address: the last trusted hop stands', '127.0.0.1', '203.0.113.5, unknown', '127.0.0.1'],
    ['not an address after a trusted hop', '127.0.0.1', 'garbage, 10.0.0.2', '10.0.0.2'],
    ['an IPv4 address with a port', '127.0.0.1', '203.0.113.5:4711', '203.0.113.5'],
    ['a bracketed IPv6 address with a port', '::1', '[2001:db8::1]:4711', '2001:db8::1'],
    ['an IPv4-mapped peer (a dual-stack listener)', '::ffff:127.0.0.1', '203.0.113.5', '203.0.113.5'],
  ])('%s', (_what, peer, header, client) => {
    expect(clientAddress(peer, header, trusted)).toBe(client);
  });
});

describe('the listener behind a reverse proxy on 127.0.0.1', () => {
  it("without the setting, one guesser through the proxy locks the operator's token out (why it exists)", async () => {
    const port = await start(undefined);
    for (let i = 0; i < 10; i++) await send(port, '127.0.0.1', { ...wrong(i), 'x-forwarded-for': '203.0.113.5' });
    expect(await send(port, '127.0.0.1', { ...right, 'x-forwarded-for': '203.0.113.9' })).toBe(429);
  });

  it("with it, the guesser is limited by its own address and the operator's token and login are served", async () => {
    const port = await start(nets('127.0.0.1'));
    const guesses: number[] = [];
    for (let i = 0; i < 11; i++) guesses.push(await send(port, '127.0.0.1', { ...wrong(i), 'x-forwarded-for': '203.0.113.5' }));
    expect(guesses).toEqual([...Array<number>(10).fill(401), 429]);
    expect(await send(port, '127.0.0.1', { ...right, 'x-forwarded-for': '203.0.113.9' })).toBe(200);
    expect(await send(port, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, { login: TOKEN })).toBe(303);
    // The guesser's address waits out its minute, the right token included.
    expect(await send(port, '127.0.0.1', { ...right, 'x-forwarded-for': '203.0.113.5' })).toBe(429);
  });

  it('a guesser cannot choose its address: not by what it writes left of the proxy\'s entry, not from outside the list', async () => {
    const port = await start(nets('127.0.0.1'));
    const proxied: number[] = [];
    for (let i = 0; i < 11; i++) proxied.push(await send(port, '127.0.0.1', { ...wrong(i), 'x-forwarded-for': `198.51.100.${i}, 203.0.113.5` }));
    expect(proxied).toEqual([...Array<number>(10).fill(401), 429]);
    // A direct client (127.0.0.2 is no trusted proxy) writing a fresh address each time: its header is not read.
    const direct: number[] = [];
    for (let i = 0; i < 11; i++) direct.push(await send(port, '127.0.0.2', { ...wrong(i), 'x-forwarded-for': `198.51.100.${i}` }));
    expect(direct).toEqual([...Array<number>(10).fill(401), 429]);
    expect(await send(port, '127.0.0.2', { ...right, 'x-forwarded-for': '203.0.113.9' })).toBe(429);
  });

  it('an IPv6 proxy on ::1 forwarding for IPv6 clients: counted per /64', async () => {
    const port = await start(nets('::1'), '::1');
    const guesses: number[] = [];
    // Ten addresses of one /64 are one client.
    for (let i = 0; i < 11; i++) guesses.push(await send(port, '::1', { ...wrong(i), 'x-forwarded-for': `2001:db8:1:2::${i + 1}` }, { host: '::1' }));
    expect(guesses).toEqual([...Array<number>(10).fill(401), 429]);
    expect(await send(port, '::1', { ...right, 'x-forwarded-for': '2001:db8:9:9::1' }, { host: '::1' })).toBe(200);
  });
});
