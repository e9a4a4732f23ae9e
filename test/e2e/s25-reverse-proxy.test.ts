import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnHealer } from '../helpers/engine.ts';
import { freePort } from '../helpers/servers.ts';

// Session 25, server.trusted_proxies end to end: healer's own process (dist/cli.js) behind a real HAProxy
// (Debian's package, `option forwardfor`: it appends the address each client came from to
// X-Forwarded-For, as Traefik, nginx and Caddy do), all on 127.0.0.1. Clients are other loopback
// addresses (127.0.0.5 a guesser, 127.0.0.9 the operator). Without the setting every one of them would be
// HAProxy's 127.0.0.1 and the guesser's 10 wrong tokens would lock the operator out (the unit test
// s25-trusted-proxies shows that). No engine is needed for the listener: DOCKER_HOST names a socket that
// does not exist, so this file neither reaches nor changes the engine.

const TOKEN = 'a-token-of-twenty-chars-s25';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function haproxyInFront(backendPort: number): Promise<number> {
  const dir = mkdtempSync(`${tmpdir()}/healer-s25-haproxy-`);
  const port = await freePort();
  writeFileSync(
    `${dir}/haproxy.cfg`,
    `global
    maxconn 64

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 10s
    timeout server 10s

frontend web
    bind 127.0.0.1:${port}
    default_backend healer

backend healer
    server healer 127.0.0.1:${backendPort}
`,
  );
  const child = spawn('haproxy', ['-db', '-f', `${dir}/haproxy.cfg`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  await until(async () => (await send(port, '127.0.0.1', '/healthz', {}).catch(() => 0)) !== 0 || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`haproxy did not start: ${stderr}`);
  return port;
}

function send(port: number, from: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', localAddress: from, headers: { ...headers, connection: 'close' }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout'))).end(body);
  });
}

async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

describe('healer behind HAProxy with server.trusted_proxies: [127.0.0.1]', () => {
  it('counts each client by the address HAProxy forwards for: a guesser is limited, the operator is served, a direct client cannot choose its address', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-s25-`);
    writeFileSync(`${dir}/token`, TOKEN);
    writeFileSync(`${dir}/watchdog.yml`, 'server:\n  trusted_proxies: [127.0.0.1]\n');
    const healerPort = await freePort();
    const { exited } = spawnHealer(
      {
        HEALER_CONFIG: `${dir}/watchdog.yml`,
        HEALER_SERVER_LISTEN: `127.0.0.1:${healerPort}`,
        HEALER_SERVER_TOKEN_FILE: `${dir}/token`,
        HEALER_STATE_PATH: `${dir}/state.json`,
        HEALER_HISTORY_PATH: 'off',
        DOCKER_HOST: `unix://${dir}/no-engine.sock`,
      },
      (fn) => void cleanups.push(fn),
    );
    let gone = false;
    void exited.then(() => (gone = true));
    await until(async () => gone || (await send(healerPort, '127.0.0.1', '/healthz', {}).catch(() => 0)) !== 0);
    expect(gone).toBe(false);
    const proxy = await haproxyInFront(healerPort);

    // The guesser writes a fresh address of its own each time; HAProxy appends 127.0.0.5 after it.
    const guesses: number[] = [];
    for (let i = 0; i < 11; i++) guesses.push(await send(proxy, '127.0.0.5', '/api/status', { authorization: `Bearer guess-${i}`, 'x-forwarded-for': `198.51.100.${i}` }));
    expect(guesses).toEqual([...Array<number>(10).fill(401), 429]);
    // The operator, through the same proxy: the bearer token and the login form.
    expect(await send(proxy, '127.0.0.9', '/api/status', { authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await send(proxy, '127.0.0.9', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, `token=${TOKEN}`)).toBe(303);
    // A client that reaches healer's port directly (127.0.0.2 is not listed): its header is never read.
    const direct: number[] = [];
    for (let i = 0; i < 11; i++) direct.push(await send(healerPort, '127.0.0.2', '/api/status', { authorization: `Bearer guess-${i}`, 'x-forwarded-for': `198.51.100.${i}` }));
    expect(direct).toEqual([...Array<number>(10).fill(401), 429]);
  });
});
