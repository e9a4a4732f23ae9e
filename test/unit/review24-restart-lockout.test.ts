import { request } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';

// Review 24: the wrong-token rule's exemption from the global cap ("clients that presented the right
// token within the last hour: Prometheus and logged-in operators keep their own per-client limit only,
// so guessers elsewhere cannot shut healer's scrapes out", SECURITY.md rule 5) is only earned by a request
// that gets past the cap, and the cap is judged before the token is looked at. The memory of who had the
// right token lives in the process.
// Trigger: healer restarts (an upgrade, a crash, `docker restart`) while someone elsewhere sends wrong
// bearer tokens at 100 a minute (under 2 a second, from 11 addresses, none over its own limit of 10).
// What happens: Prometheus' first scrape after the restart (the right token, from its own address) is
// answered 429, and so is every later one for as long as the guessing goes on: the guessers shut the
// scrapes out. What should: the right bearer token from a client that is not over its own limit is served
// (or at least Prometheus, which had it within the hour, is not shut out by a restart).

const TOKEN = 'a-token-of-twenty-chars';
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function get(port: number, path: string, from: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, headers: { ...headers, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject).end();
  });
}

describe('guessers elsewhere while healer has just (re)started', () => {
  it("do not shut Prometheus' scrape out", async () => {
    const sources = { watchdog: undefined, alerter: undefined };
    server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, metrics: new Metrics(sources), sources, log: pino({ level: 'silent' }) });
    const port = server.port;
    // 11 guessing addresses x 10 wrong tokens each: none over its own limit, 110 together (cap: 100).
    for (let a = 1; a <= 11; a++) for (let i = 0; i < 10; i++) await get(port, '/metrics', `127.0.0.${a}`, { authorization: `Bearer guess-${a}-${i}` });
    // Prometheus (127.0.0.200, never a wrong token) scrapes with the right token: its first scrape since
    // the restart, and the next ones.
    const scrapes: number[] = [];
    for (let i = 0; i < 3; i++) scrapes.push(await get(port, '/metrics', '127.0.0.200', { authorization: `Bearer ${TOKEN}` }));
    expect(scrapes).toEqual([200, 200, 200]);
  });
});
