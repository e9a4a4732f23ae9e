import { createServer, type Server } from 'node:http';
import Docker from 'dockerode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/docker/engine.ts';
import { execState } from '../../src/docker/exec.ts';

// Podman keeps every exec session a compat client made for 5 minutes after it exits (its
// exit_command_delay, "to mimic Docker's exec cleanup"), with two conmon processes each: measured here
// on Podman 4.3, 12 conmons for 6 finished probes. At one exec probe every 10 s that is 30 sessions and
// 60 processes per probed container, standing. Podman 4.8 added `POST /libpod/exec/{id}/remove`; Podman
// 4.3 (the one that runs here) and Docker do not have it. Trigger: exec probes on Podman 4.8+; before the
// fix no session was ever removed. This engine speaks the formats of Podman's handlers
// (pkg/api/handlers/compat/exec.go: the inspect of a stopped session has Pid 0 and CanRemove true; the
// remove answers 200 with no body; a router without the route answers 404 `Not Found` as text/plain,
// Docker 404 `{"message":"page not found"}`).

type RemoveRoute = 'podman-4.8' | 'podman-4.3' | 'docker' | 'proxy' | 'podman-4.8-gone';

async function engineWith(route: RemoveRoute): Promise<{ engine: Engine; removed: string[]; server: Server }> {
  const removed: string[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '');
    req.resume();
    if (req.method === 'POST' && /^\/containers\/c1\/exec$/.test(path)) return void res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Id: `e${++n}` }));
    const inspect = /^\/exec\/(e\d+)\/json$/.exec(path);
    if (req.method === 'GET' && inspect) {
      const body = route === 'docker' ? { ID: inspect[1], Running: false, ExitCode: 0, Pid: 4242, CanRemove: false } : { ID: inspect[1], Running: false, ExitCode: 0, Pid: 0, CanRemove: true };
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    }
    const remove = /^\/libpod\/exec\/(e\d+)\/remove$/.exec(path);
    if (req.method === 'POST' && remove) {
      removed.push(remove[1] ?? '');
      if (route === 'podman-4.8') return void res.writeHead(200).end();
      if (route === 'podman-4.3') return void res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      // tecnativa/docker-socket-proxy (haproxy) refusing a path it does not allow.
      if (route === 'proxy') return void res.writeHead(403, { 'Content-Type': 'text/html' }).end('<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n');
      // Podman 4.8+ when the session is already gone (utils.SessionNotFound: define.ErrNoSuchExecSession).
      if (route === 'podman-4.8-gone') {
        const body = { cause: 'no such exec session', message: `no such exec session ${remove[1] ?? ''}`, response: 404 };
        return void res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      }
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"page not found"}');
  });
  // The exec start is hijacked: 101, the command's framed output, then the end of the stream.
  server.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.end(Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('ok\n')]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { engine: new Engine(new Docker({ host: '127.0.0.1', port })), removed, server };
}

let open: Server | undefined;
afterEach(() => void open?.close());

async function probes(engine: Engine, times: number): Promise<void> {
  for (let i = 0; i < times; i++) expect(await engine.exec('c1', ['true'], AbortSignal.timeout(5_000))).toEqual({ exitCode: 0, output: expect.stringContaining('ok') as unknown });
}

describe('exec sessions are removed once their exit code is read, where the engine has the call', () => {
  it('Podman 4.8+: every finished session is removed at once', async () => {
    const { engine, removed, server } = await engineWith('podman-4.8');
    open = server;
    await probes(engine, 3);
    await vi.waitFor(() => expect(removed).toEqual(['e1', 'e2', 'e3']));
  });

  it('Podman 4.8+ answering "no such exec session" (gone already): the call exists, later sessions are removed too', async () => {
    const { engine, removed, server } = await engineWith('podman-4.8-gone');
    open = server;
    for (let i = 1; i <= 3; i++) {
      await probes(engine, 1);
      await vi.waitFor(() => expect(removed).toHaveLength(i));
    }
    expect(removed).toEqual(['e1', 'e2', 'e3']);
  });

  it.each(['podman-4.3', 'docker', 'proxy'] as const)('%s (no such call, or refused): asked once, never again', async (route) => {
    const { engine, removed, server } = await engineWith(route);
    open = server;
    await probes(engine, 1);
    await vi.waitFor(() => expect(removed).toEqual(['e1']));
    await probes(engine, 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(removed).toEqual(['e1']);
  });
});

describe('execState: an exec read the same on both engines (recorded inspects)', () => {
  it.each([
    ['Docker, created', { Running: false, ExitCode: null, Pid: 0, CanRemove: false }, 'created'],
    ['Docker, running', { Running: true, ExitCode: null, Pid: 0, CanRemove: false }, 'running'],
    ['Docker, exited', { Running: false, ExitCode: 3, Pid: 20314, CanRemove: false }, 'exited'],
    ['Docker, exited with 0', { Running: false, ExitCode: 0, Pid: 20331, CanRemove: false }, 'exited'],
    ['Docker, start failed (no such command: measured 126, Pid 0)', { Running: false, ExitCode: 126, Pid: 0, CanRemove: false }, 'exited'],
    ['Podman, created', { Running: false, ExitCode: 0, Pid: 0, CanRemove: false }, 'created'],
    ['Podman, running', { Running: true, ExitCode: 0, Pid: 20290, CanRemove: false }, 'running'],
    ['Podman, exited', { Running: false, ExitCode: 3, Pid: 0, CanRemove: true }, 'exited'],
  ] as const)('%s', (_name, inspect, state) => {
    expect(execState(inspect)).toBe(state);
  });
});
