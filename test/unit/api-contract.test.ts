import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/docker/connect.ts';
import { Engine, FOLLOWED_ACTIONS, FOLLOWED_NETWORK_ACTIONS } from '../../src/docker/engine.ts';
import { EventStream } from '../../src/docker/event-stream.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

// Engines that cannot run here (Docker 29, API 1.52) answer from their documented formats; Podman from
// what it answered here. A real HTTP server on a unix socket serves them to healer's real client code.
const fixture = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

interface Seen {
  paths: string[];
}

async function serve(routes: Record<string, { body: string; type?: string; headers?: Record<string, string> }>): Promise<{ host: string; seen: Seen; close(): Promise<void> }> {
  const dir = mkdtempSync(`${tmpdir()}/healer-contract-`);
  const seen: Seen = { paths: [] };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    seen.paths.push(`${url.pathname}${url.search}`);
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"page not found"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': route.type ?? 'application/json', ...route.headers });
    if (path === '/events') res.write(route.body); // a stream: stays open
    else res.end(route.body);
  });
  const socket = `${dir}/engine.sock`;
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    host: `unix://${socket}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers) await c();
  closers = [];
});

async function follow(engine: Engine, count: number): Promise<ContainerEvent[]> {
  const got: ContainerEvent[] = [];
  const es = new EventStream(engine, { onEvent: (e) => got.push(e), onConnected: () => undefined, onDisconnected: () => undefined }, pino({ level: 'silent' }));
  await es.start();
  for (let i = 0; i < 400 && got.length < count; i++) await new Promise((r) => setTimeout(r, 5));
  await es.stop();
  return got;
}

describe('Docker Engine 29 (API 1.52), documented formats', () => {
  it('negotiates 1.52, lists with Health, inspects without top-level addresses, follows jsonl events without legacy fields', async () => {
    const e = await serve({
      '/version': { body: fixture('engine-29/version.json') },
      '/containers/json': { body: fixture('engine-29/containers.json') },
      [`/containers/${'b'.repeat(64)}/json`]: { body: fixture('engine-29/inspect.json') },
      '/events': { body: fixture('engine-29/events.jsonl'), type: 'application/jsonl' },
    });
    closers.push(() => e.close());
    const { docker, apiVersion, info } = await connectDocker({ host: e.host });
    expect(apiVersion).toBe('1.52');
    expect(info).toEqual({ engine: 'docker', version: '29.3.0', apiVersion: '1.52' });
    const engine = new Engine(docker, info);
    expect(await engine.listIds()).toEqual(['b'.repeat(64)]);
    const c = await engine.inspect('b'.repeat(64));
    expect(c).toMatchObject({ name: 'web', running: true, health: 'unhealthy', networkMode: 'bridge', networks: { bridge: '172.17.0.2' } });
    const events = await follow(engine, 7);
    expect(events.map((ev) => [ev.action, ev.health ?? ev.exitCode ?? ev.signal ?? ''])).toEqual([
      ['health_status', 'healthy'],
      ['health_status', 'unhealthy'],
      ['kill', '15'],
      ['die', 0],
      ['stop', ''],
      ['start', ''],
      ['destroy', ''],
    ]);
    expect(events[0]?.labels).toEqual({ 'healer.enable': 'true' });
    expect(e.seen.paths.filter((p) => p.startsWith('/v1.52/')).length).toBeGreaterThanOrEqual(3);
    const filter = decodeURIComponent(e.seen.paths.find((p) => p.startsWith('/v1.52/events')) ?? '');
    expect(filter).toContain(JSON.stringify([...FOLLOWED_ACTIONS, ...FOLLOWED_NETWORK_ACTIONS]));
    expect(filter).toContain('"type":["container","network"]');
  });

  it("explains the engine's refusal of the version with both versions and the fix", async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-contract-`);
    const server = createServer((_req, res) =>
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}'),
    );
    await new Promise<void>((r) => server.listen(`${dir}/s.sock`, r));
    closers.push(async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    });
    const Docker = (await import('dockerode')).default;
    const engine = new Engine(new Docker({ socketPath: `${dir}/s.sock`, version: 'v1.41' }));
    await expect(engine.listIds()).rejects.toThrow(
      'list containers failed with HTTP 400: client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version; the engine refuses API 1.41 (its minimum is 1.44; healer speaks up to 1.52)',
    );
  });
});

describe('Podman 4.3, as recorded here', () => {
  it('is recognised, asked for died/remove too, and its events arrive in Docker dialect', async () => {
    const version = JSON.stringify({
      Platform: { Name: 'linux/amd64/debian-12' },
      Components: [{ Name: 'Podman Engine', Version: '4.3.1', Details: { APIVersion: '4.3.1', MinAPIVersion: '4.0.0' } }],
      Version: '4.3.1',
      ApiVersion: '1.41',
      MinAPIVersion: '1.24',
    });
    const lines = fixture('events/podman-4.3-filtered.jsonl').split('\n').filter((l) => l.includes('"pm3"')).join('\n') + '\n';
    const e = await serve({
      '/version': { body: version, headers: { 'Libpod-Api-Version': '4.3.1' } },
      '/events': { body: lines, headers: { 'Libpod-Api-Version': '4.3.1' } },
    });
    closers.push(() => e.close());
    const { docker, info } = await connectDocker({ host: e.host });
    expect(info).toEqual({ engine: 'podman', version: '4.3.1', apiVersion: '1.41' });
    const events = await follow(new Engine(docker, info), 7);
    expect(events.map((ev) => ev.action + (ev.health ? ` ${ev.health}` : ''))).toEqual(['start', 'health_status starting', 'health_status healthy', 'kill', 'die', 'stop', 'destroy']);
    const filter = decodeURIComponent(e.seen.paths.find((p) => p.startsWith('/v1.41/events')) ?? '');
    expect(filter).toContain('"died","remove"');
  });
});
