import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterEach } from 'vitest';
import { Engine } from '../../src/docker/engine.ts';

/** One frame of a multiplexed log stream (Engine API 1.41): `stream` 1 stdout, 2 stderr. */
export function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/**
 * Returns the function that makes an Engine whose every logs request an HTTP server on 127.0.0.1
 * answers with `output`, as Engine API 1.41 does (raw when `tty`); `split` writes it in pieces of 5 bytes
 * and then 1 MiB, so frame headers are split across chunks. The servers are closed after each test.
 */
export function logEngines(): (output: Buffer, opts?: { tty?: boolean; split?: boolean }) => Promise<Engine> {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });
  return async (output, { tty = false, split = false } = {}) => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': tty ? 'application/octet-stream' : 'application/vnd.docker.raw-stream' });
      if (!split) return void res.end(output);
      let at = 0;
      const next = (): void => {
        if (at >= output.length) return void res.end();
        const n = at < 64 ? 5 : 1 << 20;
        const ok = res.write(output.subarray(at, at + n));
        at += n;
        if (ok) setImmediate(next);
        else res.once('drain', next);
      };
      next();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new Engine(new Docker({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http', version: 'v1.41' }));
  };
}
