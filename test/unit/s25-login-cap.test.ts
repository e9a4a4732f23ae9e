import { request } from 'node:http';
import { connect } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';
import { sessionValue } from '../../src/web/session.ts';

// Session 25: the global cap of wrong tokens (100 a minute from everyone together) let a right bearer
// token through (review 24) but not a right login: POST /login was judged against the cap when its
// headers came, before its body (the token) was read.
// Trigger: guessers elsewhere keep the cap spent (e.g. just after a healer restart, when no memory of who
// had the right token is left); the operator opens the status page and logs in with the right token.
// What happened: 429, the token never even looked at, for as long as the guessing went on. What should:
// the right token is served as a right bearer token is; wrong logins stay refused and counted towards
// their client's own limit, which is judged before the body is read.

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

interface Answer {
  status: number;
  cookie: string | undefined;
}

function send(port: number, from: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, localAddress: from, headers: { ...headers, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0] }));
    });
    req.on('error', reject).end(body);
  });
}

const login = (port: number, from: string, token: string): Promise<Answer> =>
  send(port, from, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, `token=${encodeURIComponent(token)}`);

/** 11 addresses x 10 wrong bearer tokens: none over its own limit, 110 together (the cap: 100). */
async function spendCap(port: number): Promise<void> {
  for (let a = 1; a <= 11; a++) for (let i = 0; i < 10; i++) await send(port, `127.0.0.${a}`, 'GET', '/api/status', { authorization: `Bearer guess-${a}-${i}` });
}

describe('a login while guessers elsewhere keep the global cap spent', () => {
  it('the right token logs in (and its cookie opens the page); a fresh address still gets its 429 for no token', async () => {
    const port = await start();
    await spendCap(port);
    expect((await send(port, '127.0.0.60', 'GET', '/api/status', {})).status).toBe(429);
    const ok = await login(port, '127.0.0.200', TOKEN);
    expect({ status: ok.status, cookie: ok.cookie?.split(';')[0] }).toEqual({ status: 303, cookie: `healer_session=${sessionValue(TOKEN)}` });
    expect((await send(port, '127.0.0.200', 'GET', '/api/status', { cookie: `healer_session=${sessionValue(TOKEN)}` })).status).toBe(200);
  });

  it('wrong logins stay refused and count towards their client: after 10, its right one waits its minute too', async () => {
    const port = await start();
    await spendCap(port);
    const wrong: number[] = [];
    for (let i = 0; i < 10; i++) wrong.push((await login(port, '127.0.0.50', `guess-50-${i}`)).status);
    expect(wrong).toEqual(Array<number>(10).fill(429));
    expect((await login(port, '127.0.0.50', TOKEN)).status).toBe(429);
    // An oversized login is a wrong one too (413 or 429), and is not read past 4 KiB.
    expect([413, 429]).toContain((await login(port, '127.0.0.51', 'x'.repeat(8192))).status);
  });

  it("a client over its own limit is answered 429 before its login's body is read", async () => {
    const port = await start();
    for (let i = 0; i < 10; i++) expect((await login(port, '127.0.0.7', `guess-${i}`)).status).toBe(303);
    // Headers that announce a body which never comes: the answer must not wait for it.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.7' }, () => {
        socket.write('POST /login HTTP/1.1\r\nHost: healer\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n');
      });
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text.split('\r\n')[0] ?? '');
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    });
    expect(answer).toBe('HTTP/1.1 429 Too Many Requests');
  });
});
