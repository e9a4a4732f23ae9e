import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1 with a random port; closes every socket on close(). */
export async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A probe target the test switches: GET /<name> answers 200 while `name` is healthy, 503 otherwise.
 * Lets a test hold a container's probe failing for exactly as long as it wants, restarts or not.
 */
export async function switchboard(): Promise<{ port: number; set(name: string, healthy: boolean): void; close(): Promise<void> }> {
  const health = new Map<string, boolean>();
  const srv = await httpServer((req, res) => {
    const ok = health.get((req.url ?? '/').slice(1)) ?? true;
    res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'down');
  });
  return { port: srv.port, set: (name, healthy) => void health.set(name, healthy), close: () => srv.close() };
}
