import { connect, createServer, type Socket } from 'node:net';

/**
 * A proxy to the engine's socket on 127.0.0.1 that answers the inspects of one container with a 500
 * carrying `message` (the engine's JSON error) while refusals are left: a busy daemon, a socket proxy's
 * hiccup, for as long as a test wants.
 */
export async function refusingProxy(message = 'an error the test proxy made'): Promise<{ host: string; refuse(id: string, n: number): void; close(): Promise<void> }> {
  const all = new Set<Socket>();
  const state = { id: '', left: 0 };
  const server = createServer((client) => {
    const upstream = connect('/var/run/docker.sock');
    all.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1', 0, Math.min(chunk.length, 512));
      if (state.left > 0 && state.id !== '' && new RegExp(`^GET (/v[\\d.]+)?/containers/${state.id}/json`, 'm').test(head)) {
        state.left--;
        const body = Buffer.from(JSON.stringify({ message }));
        client.end(Buffer.concat([Buffer.from(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `tcp://127.0.0.1:${port}`,
    refuse(id, n) {
      state.id = id;
      state.left = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of all) s.destroy();
        server.close(() => resolve());
      }),
  };
}
