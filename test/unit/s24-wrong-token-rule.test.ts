import { request } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';
import { sessionValue } from '../../src/web/session.ts';
import { clientKey, WrongTokenThrottle } from '../../src/web/throttle.ts';

// Session 24: the wrong-token limit was per remote address only.
// Trigger 1: a guesser with many addresses (an IPv6 /64, or here many loopback addresses) got 10 guesses a
// minute from each, without end. Trigger 2: behind a reverse proxy (one address for every client) one
// user's wrong tokens answered 429 to every other user, logged in ones included.

const TOKEN = 'a-token-of-twenty-chars';
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<number> {
  const sources = { watchdog: undefined, alerter: undefined };
  server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, metrics: new Metrics(sources), sources, log: pino({ level: 'silent' }) });
  return server.port;
}

/** GET /api/status from the loopback address `from` (127.0.0.0/8 is all this host's); resolves to the status. */
function get(port: number, from: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/status', localAddress: from, headers: { ...headers, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject).end();
  });
}

describe('clientKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['', ''],
  ])('%s -> %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});

describe('WrongTokenThrottle: per key, and a cap for everyone together', () => {
  it('counts one IPv6 /64 as one client', () => {
    const t = new WrongTokenThrottle(() => 0, { limit: 3 });
    for (const a of ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2:ffff::c']) t.wrong(a);
    expect(t.retryAfterMs('2001:db8:1:2::d')).toBe(60_000);
    expect(t.retryAfterMs('2001:db8:1:3::a')).toBe(0);
  });

  it('past the global cap every key waits for the window, except keys that presented the right token', () => {
    let now = 0;
    const t = new WrongTokenThrottle(() => now, { limit: 10, globalLimit: 20, windowMs: 60_000, trustMs: 600_000 });
    t.right('192.0.2.200');
    for (let i = 0; i < 20; i++) t.wrong(`192.0.2.${i}`);
    now = 1000;
    expect(t.retryAfterMs('192.0.2.100')).toBe(59_000);
    expect(t.retryAfterMs('192.0.2.200')).toBe(0);
    now = 60_000;
    expect(t.retryAfterMs('192.0.2.100')).toBe(0);
    // Trust lasts trustMs from the last right token.
    now = 700_000;
    for (let i = 0; i < 20; i++) t.wrong(`192.0.2.${i}`);
    expect(t.retryAfterMs('192.0.2.200')).toBe(60_000);
  });
});

describe('the listener: wrong tokens from many addresses, and a logged-in operator behind a guesser', () => {
  it('many addresses are shut out together past the global cap; the right token (or a client that had it) is not', async () => {
    const port = await start();
    expect(await get(port, '127.0.0.200', { authorization: `Bearer ${TOKEN}` })).toBe(200);
    // 11 addresses x 10 wrong tokens: none over its own limit until its 10th, 110 in all (cap: 100).
    const answers: number[] = [];
    for (let a = 1; a <= 11; a++) for (let i = 0; i < 10; i++) answers.push(await get(port, `127.0.0.${a}`, { authorization: `Bearer guess-${a}-${i}` }));
    expect(answers.filter((s) => s === 401).length).toBe(100);
    // Prometheus (the right token earlier, from its address) keeps scraping...
    expect(await get(port, '127.0.0.200', { authorization: `Bearer ${TOKEN}` })).toBe(200);
    // ...and so does a fresh address with the right token (review 24: a scrape after a restart)...
    expect(await get(port, '127.0.0.60', { authorization: `Bearer ${TOKEN}` })).toBe(200);
    // ...but a fresh address's wrong tokens are refused and still counted: after its 10th, its right
    // token waits out its own minute too, so the spent cap leaves it 10 guesses a minute, not more.
    for (let i = 0; i < 10; i++) expect(await get(port, '127.0.0.50', { authorization: `Bearer guess-50-${i}` })).toBe(429);
    expect(await get(port, '127.0.0.50', { authorization: `Bearer ${TOKEN}` })).toBe(429);
    // No token at all from a fresh address: the spent cap answers it 429.
    expect(await get(port, '127.0.0.51', {})).toBe(429);
  });

  it('an address over its limit still serves a valid session cookie (one proxy address for all)', async () => {
    const port = await start();
    for (let i = 0; i < 10; i++) expect(await get(port, '127.0.0.7', { authorization: `Bearer guess-${i}` })).toBe(401);
    expect(await get(port, '127.0.0.7', { authorization: `Bearer ${TOKEN}` })).toBe(429);
    expect(await get(port, '127.0.0.7', { cookie: `healer_session=${sessionValue(TOKEN)}` })).toBe(200);
    // A wrong cookie is no way around the limit.
    expect(await get(port, '127.0.0.7', { cookie: `healer_session=${sessionValue('another-token-here')}` })).toBe(429);
  });
});
