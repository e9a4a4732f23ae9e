import { createServer, type Server } from 'node:http';
import Docker from 'dockerode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/docker/engine.ts';

// Review 24 (Podman exec session removal). docker/exec.ts learns whether `POST /libpod/exec/{id}/remove`
// exists from the first answer, and any error that is not "no such exec session" (a 500, a 10 s timeout
// of an engine under load) reads as "no such route": removal is switched off for the rest of healer's
// life. Trigger: on Podman 4.8+, the first removal lands while the container is being stopped (`docker stop`
// during a probe: the exec exits, its session is removed while Podman holds the container in `stopping`)
// and Podman answers a 500 (any server error: the wording here is illustrative, the format is Podman's);
// or the engine is slow to answer it once (the 10 s timeout reads the same). From then
// on every exec probe's session stands for 5 minutes with two conmon processes (the pile-up the removal was
// added for). What should happen: only an answer that says the route is missing (404 without "no such exec
// session", a proxy's 403) turns removal off; a server error or no answer is that one session's problem.
// The engine speaks Podman's formats (pkg/api/handlers/compat/exec.go, utils.InternalServerError).

async function podman48FailingFirstRemove(): Promise<{ engine: Engine; removed: string[]; server: Server }> {
  const removed: string[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '');
    req.resume();
    if (req.method === 'POST' && /^\/containers\/c1\/exec$/.test(path)) return void res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Id: `e${++n}` }));
    const inspect = /^\/exec\/(e\d+)\/json$/.exec(path);
    if (req.method === 'GET' && inspect) {
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ID: inspect[1], Running: false, ExitCode: 0, Pid: 0, CanRemove: true }));
    }
    const remove = /^\/libpod\/exec\/(e\d+)\/remove$/.exec(path);
    if (req.method === 'POST' && remove) {
      removed.push(remove[1] ?? '');
      if (removed.length === 1) {
        const body = { cause: 'container state improper', message: 'container c1 is stopping: container state improper', response: 500 };
        return void res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      }
      return void res.writeHead(200).end();
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
  });
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

describe('review24: one failed exec session removal does not turn removal off for good', () => {
  it('Podman 4.8+ answering 500 to the first removal: later sessions are still removed', async () => {
    const { engine, removed, server } = await podman48FailingFirstRemove();
    open = server;
    expect(await engine.exec('c1', ['true'], AbortSignal.timeout(5_000))).toMatchObject({ exitCode: 0 });
    await vi.waitFor(() => expect(removed).toEqual(['e1']));
    for (let i = 0; i < 3; i++) expect(await engine.exec('c1', ['true'], AbortSignal.timeout(5_000))).toMatchObject({ exitCode: 0 });
    // On this branch: ['e1'] only (removal switched off by the 500).
    await vi.waitFor(() => expect(removed).toEqual(['e1', 'e2', 'e3', 'e4']), { timeout: 2_000 });
  });
});
