// A stand-in Docker Engine API on a unix socket, for the cost bench: healer runs as the shipped CLI in its
// own process and talks to this over HTTP, as it talks to dockerd, while its probes go to a real loopback
// server. It serves N synthetic running containers (more than this host runs for real) and only what
// healer asks at start-up and while idle: /_ping, /version, the list, inspect, and a quiet event stream.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import type { ContainerInfo } from '../src/docker/types.ts';
import { syntheticContainer } from '../test/helpers/fake-engine.ts';

export interface FakeEngineApi {
  socketPath: string;
  close(): Promise<void>;
}

function inspectJson(c: ContainerInfo, startedAt: string): object {
  return {
    Id: c.id,
    Name: `/${c.name}`,
    Image: 'sha256:0',
    RestartCount: 0,
    Config: { Image: c.image, Labels: c.labels },
    State: { Status: 'running', Running: true, Restarting: false, OOMKilled: false, ExitCode: 0, StartedAt: startedAt, FinishedAt: '0001-01-01T00:00:00Z' },
    HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'no' } },
    NetworkSettings: { Networks: { host: { IPAddress: '' } } },
  };
}

/** Serves `labels(i)` for containers 0..n-1 (the in-memory engine's synthetic ids and names) on a fresh unix socket at `socketPath`. */
export async function fakeEngineApi(socketPath: string, n: number, labels: (i: number) => Record<string, string>): Promise<FakeEngineApi> {
  const startedAt = new Date().toISOString();
  const containers = Array.from({ length: n }, (_, i) => syntheticContainer(i, labels(i)));
  const byId = new Map(containers.map((c) => [c.id, c]));
  const events = new Set<ServerResponse>();
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v[\d.]+/, '');
    const inspect = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (path === '/_ping') res.end('OK');
    else if (path === '/version') json(res, 200, { Version: 'fake', ApiVersion: '1.41', MinAPIVersion: '1.24' });
    else if (path === '/containers/json') json(res, 200, containers.map((c) => ({ Id: c.id, Names: [`/${c.name}`], Labels: c.labels, State: 'running' })));
    else if (inspect) {
      const c = byId.get(inspect[1] ?? '');
      if (c === undefined) json(res, 404, { message: `No such container: ${inspect[1]}` });
      else json(res, 200, inspectJson(c, startedAt));
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders(); // open and quiet: nothing happens
      events.add(res);
      res.on('close', () => events.delete(res));
    } else json(res, 404, { message: `the bench engine does not serve ${req.method} ${path}` });
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of events) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
