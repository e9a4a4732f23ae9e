// A stand-in Docker Engine API on a unix socket, for the cost bench: healer runs as the shipped CLI in its
// own process and talks to this over HTTP, as it talks to dockerd, while its probes go to a real loopback
// server. It serves N synthetic running containers (more than this host runs for real) and only what
// healer asks at start-up and while idle: /_ping, /version, the list, inspect, and a quiet event stream.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';

export interface FakeEngineApi {
  socketPath: string;
  /** Requests served, by "METHOD /path" with ids and the API version prefix left out. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

function inspectJson(id: string, name: string, labels: Record<string, string>, startedAt: string): object {
  return {
    Id: id,
    Name: `/${name}`,
    Image: 'sha256:0',
    RestartCount: 0,
    Config: { Image: 'synthetic:1', Labels: labels },
    State: { Status: 'running', Running: true, Restarting: false, OOMKilled: false, ExitCode: 0, StartedAt: startedAt, FinishedAt: '0001-01-01T00:00:00Z' },
    HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'no' } },
    NetworkSettings: { Networks: { host: { IPAddress: '' } } },
  };
}

/** Serves `labels(i)` for containers 0..n-1 on a fresh unix socket at `socketPath`. */
export async function fakeEngineApi(socketPath: string, n: number, labels: (i: number) => Record<string, string>): Promise<FakeEngineApi> {
  const startedAt = new Date().toISOString();
  const ids = Array.from({ length: n }, (_, i) => `a${i.toString(16).padStart(63, '0')}`);
  const index = new Map(ids.map((id, i) => [id, i]));
  const requests = new Map<string, number>();
  const events = new Set<ServerResponse>();
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v[\d.]+/, '');
    const key = `${req.method ?? 'GET'} ${path.replace(/\/containers\/[^/]+\//, '/containers/{id}/')}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    const inspect = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (path === '/_ping') res.end('OK');
    else if (path === '/version') json(res, 200, { Version: 'fake', ApiVersion: '1.41', MinAPIVersion: '1.24' });
    else if (path === '/containers/json') json(res, 200, ids.map((Id, i) => ({ Id, Names: [`/synthetic-${i}`], Labels: labels(i), State: 'running' })));
    else if (inspect) {
      const i = index.get(inspect[1] ?? '');
      if (i === undefined) json(res, 404, { message: `No such container: ${inspect[1]}` });
      else json(res, 200, inspectJson(ids[i] ?? '', `synthetic-${i}`, labels(i), startedAt));
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders(); // open and quiet: nothing happens
      events.add(res);
      res.on('close', () => events.delete(res));
    } else json(res, 404, { message: `the bench engine does not serve ${key}` });
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of events) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
