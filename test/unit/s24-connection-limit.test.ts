import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { limitConnections } from '../../src/web/connections.ts';
import { waitFor } from '../helpers/engine.ts';

// Session 24: which connection makes room past the cap (src/web/connections.ts), on a real listener on
// 127.0.0.1: the oldest idle one, never one being answered; the new one only when all are answered.

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A listener whose answers to /hold wait until `release` is called, capped at 3 connections. */
async function start(): Promise<{ port: number; release: () => void; warnings: string[] }> {
  const held: (() => void)[] = [];
  seen.connections = 0;
  seen.requests = 0;
  const warnings: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      warnings.push(String((JSON.parse(chunk.toString()) as { msg: string }).msg));
      cb();
    },
  });
  server = createServer((req, res) => {
    seen.requests++;
    if (req.url === '/hold') held.push(() => res.end('held\n'));
    else if (req.method === 'POST') req.resume().once('end', () => res.end('posted\n'));
    else res.end('ok\n');
  });
  server.on('connection', () => seen.connections++);
  limitConnections(server, 3, pino({ level: 'warn' }, sink));
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, warnings, release: () => held.splice(0).forEach((f) => f()) };
}

/** What the server has taken in so far: each connection is opened once the one before is in. */
const seen = { connections: 0, requests: 0 };

/** A connection that sends `request` (nothing when undefined); `closed` once the server closed it. */
async function open(port: number, request?: string): Promise<{ closed: () => boolean; text: () => string }> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  let closed = false;
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString())).on('close', () => (closed = true)).on('error', () => undefined);
  const [connections, requests] = [seen.connections, seen.requests];
  await new Promise<void>((r) => s.once('connect', r));
  await waitFor('the server took the connection', () => seen.connections > connections);
  if (request === '/hold') {
    s.write(`GET ${request} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitFor('the server took the request', () => seen.requests > requests);
  } else if (request === 'POST') {
    // A body that has only begun to arrive: 1 byte of 100.
    s.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\na');
    await waitFor('the server took the request', () => seen.requests > requests);
  } else if (request !== undefined) s.write(`GET ${request} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { closed: () => closed, text: () => text };
}

describe('limitConnections', () => {
  it('closes the oldest idle connection for a new one, never one being answered', async () => {
    const { port, release, warnings } = await start();
    const busy = await open(port, '/hold');
    const idle1 = await open(port);
    const idle2 = await open(port);
    const fresh = await open(port, '/now');
    await waitFor('the oldest idle one closed', () => idle1.closed());
    expect([busy.closed(), idle2.closed()]).toEqual([false, false]);
    await waitFor('the new one answered', () => fresh.text().includes('ok'));
    release();
    await waitFor('the held one answered', () => busy.text().includes('held'));
    expect(warnings).toEqual(['http listener: more than 3 connections open; the oldest idle ones are closed (idle or slow clients, or a flood)']);
  });

  it('closes the new connection when every open one is being answered', async () => {
    const { port, release } = await start();
    const held = [await open(port, '/hold'), await open(port, '/hold'), await open(port, '/hold')];
    const fresh = await open(port, '/now');
    await waitFor('the new one closed', () => fresh.closed());
    expect(held.map((c) => c.closed())).toEqual([false, false, false]);
    release();
    await waitFor('all held answered', () => held.every((c) => c.text().includes('held')));
    expect(fresh.text()).toBe('');
  });

  it('closes the oldest connection whose request body is still arriving for a new one (review 24)', async () => {
    const { port } = await start();
    const slow = [await open(port, 'POST'), await open(port, 'POST'), await open(port, 'POST')];
    const fresh = await open(port, '/now');
    await waitFor('the oldest slow one closed', () => slow[0]?.closed() === true);
    expect([slow[1]?.closed(), slow[2]?.closed()]).toEqual([false, false]);
    await waitFor('the new one answered', () => fresh.text().includes('ok'));
  });
});
