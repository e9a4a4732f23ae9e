import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbePolicy } from '../../src/config/policy.ts';
import { parseProbeSpec } from '../../src/config/probe-spec.ts';
import { httpProber } from '../../src/probes/http.ts';
import { tcpProber } from '../../src/probes/tcp.ts';
import { freePort, httpServer } from '../helpers/servers.ts';

function policy(spec: string, over: Partial<ProbePolicy> = {}): ProbePolicy {
  const r = parseProbeSpec(spec);
  if (!r.ok) throw new Error(r.error);
  return { spec: r.spec, intervalMs: 1000, schedule: undefined, timeoutMs: 300, failures: 1, successes: 1, startPeriodMs: 0, status: [[200, 399]], body: undefined, method: 'GET', headers: {}, ...over };
}
const target = { containerId: 'c', address: '127.0.0.1' };
const within = (p: ProbePolicy) => AbortSignal.timeout(p.timeoutMs);

describe('http probe against a real server', () => {
  let srv: Awaited<ReturnType<typeof httpServer>>;
  const seen: { method?: string; token?: string | string[]; agent?: string; host?: string } = {};
  const dispatcher = new Agent({ pipelining: 0 });
  const http = httpProber(dispatcher);

  beforeAll(async () => {
    srv = await httpServer((req, res) => {
      switch (req.url) {
        case '/ok':
          seen.method = req.method;
          seen.token = req.headers['x-token'];
          seen.agent = req.headers['user-agent'];
          seen.host = req.headers.host;
          res.end('status: ok');
          return;
        case '/slow':
          setTimeout(() => res.end('ok'), 100);
          return;
        case '/hang':
          return; // never answers
        case '/trickle':
          res.writeHead(200);
          res.write('o'); // headers, then nothing more
          return;
        case '/500':
          res.writeHead(500).end('boom');
          return;
        case '/redirect':
          res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
          return;
        case '/huge':
          res.writeHead(200);
          res.end(Buffer.alloc(4 * 1024 * 1024, 'x'));
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  afterAll(async () => {
    await srv.close();
    await dispatcher.close();
  });

  const url = (path: string) => `http://:${srv.port}${path}`;

  it('passes on 2xx, sending method, headers and user-agent', async () => {
    const p = policy(url('/ok'), { method: 'POST', headers: { 'X-Token': 't0k' } });
    const r = await http.run(p, target, within(p));
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual({ method: 'POST', token: 't0k', agent: 'healer', host: `127.0.0.1:${srv.port}` });
  });

  it('passes a slow answer within the timeout', async () => {
    const p = policy(url('/slow'));
    expect(await http.run(p, target, within(p))).toMatchObject({ ok: true, status: 200 });
  });

  it('fails a hanging server at the timeout', async () => {
    const p = policy(url('/hang'), { timeoutMs: 200 });
    const r = await http.run(p, target, within(p));
    expect(r).toMatchObject({ ok: false, error: 'timed out after 200ms' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(150);
  });

  it('fails a body that trickles past the timeout when the body is checked', async () => {
    const p = policy(url('/trickle'), { timeoutMs: 200, body: /ok/ });
    expect(await http.run(p, target, within(p))).toMatchObject({ ok: false, error: 'timed out after 200ms' });
  });

  it('fails a status outside the range', async () => {
    const p = policy(url('/500'));
    expect(await http.run(p, target, within(p))).toEqual(expect.objectContaining({ ok: false, status: 500, error: 'status 500 not in 200-399' }));
  });

  it('honours a custom status list', async () => {
    const p = policy(url('/500'), { status: [[500, 500]] });
    expect(await http.run(p, target, within(p))).toMatchObject({ ok: true, status: 500 });
  });

  it('fails a body that does not match', async () => {
    const p = policy(url('/ok'), { body: /status: (green|healthy)/ });
    expect(await http.run(p, target, within(p))).toMatchObject({ ok: false, status: 200, error: 'body does not match /status: (green|healthy)/' });
    const good = policy(url('/ok'), { body: /status: ok/ });
    expect(await http.run(good, target, within(good))).toMatchObject({ ok: true });
  });

  it('reads at most 64 KiB of a huge body', async () => {
    const p = policy(url('/huge'), { body: /^x+$/, timeoutMs: 2000 });
    expect(await http.run(p, target, within(p))).toMatchObject({ ok: true, status: 200 });
  });

  it('does not follow redirects; a 3xx is judged by status', async () => {
    const p = policy(url('/redirect'), { status: [[200, 299]] });
    expect(await http.run(p, target, within(p))).toMatchObject({ ok: false, status: 302 });
  });

  it('fails with the reason when the connection is refused', async () => {
    const p = policy(`http://:${await freePort()}/`);
    const r = await http.run(p, target, within(p));
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  // SECURITY.md rule 2: a name is resolved once, by pin.ts, and the probe goes to the address judged.
  it('a pinned name connects to the address it was pinned to, never resolving the name, and sends it as Host', async () => {
    const p = policy(`http://pinned-name.invalid:${srv.port}/ok`, { pinOwn: true });
    const r = await http.run(p, { containerId: 'c', address: '192.0.2.1', connectTo: '127.0.0.1' }, within(p));
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(seen.host).toBe(`pinned-name.invalid:${srv.port}`);
  });

  it('uses an explicit host instead of the container address', async () => {
    const p = policy(`http://127.0.0.1:${srv.port}/ok`);
    expect(await http.run(p, { containerId: 'c', address: '192.0.2.1' }, within(p))).toMatchObject({ ok: true });
  });
});

describe('tcp probe against a real listener', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createNetServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes when a connection is established', async () => {
    const p = policy(`tcp://:${port}`);
    expect(await tcpProber.run(p, target, within(p))).toMatchObject({ ok: true });
  });

  it('a pinned name connects to the address it was pinned to, never resolving the name', async () => {
    const p = policy(`tcp://pinned-name.invalid:${port}`, { pinOwn: true });
    expect(await tcpProber.run(p, { containerId: 'c', address: '192.0.2.1', connectTo: '127.0.0.1' }, within(p))).toMatchObject({ ok: true });
  });

  it('fails with ECONNREFUSED when nothing listens', async () => {
    const p = policy(`tcp://:${await freePort()}`);
    const r = await tcpProber.run(p, target, within(p));
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^ECONNREFUSED/);
  });

  it('fails at once when already aborted (shutdown)', async () => {
    const p = policy(`tcp://:${port}`);
    const ac = new AbortController();
    ac.abort(new Error('healer is stopping'));
    expect(await tcpProber.run(p, target, ac.signal)).toMatchObject({ ok: false, error: 'healer is stopping' });
  });
});
