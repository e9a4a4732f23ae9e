import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';

// Regressions from the adversarial review: each failed before its fix.

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('review: /badge/<name>.svg reached by an untrusted client', () => {
  it('a malformed percent-escape is a 404 (or 400), not a 500 with an error line in healer\'s log per request', async () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
        cb();
      },
    });
    server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: undefined, metrics: new Metrics({ watchdog: undefined, alerter: undefined }), sources: { watchdog: undefined }, log: pino({ level: 'info' }, sink) });
    const res = await fetch(`http://127.0.0.1:${server.port}/badge/%E0%A4%A.svg`);
    expect(res.status).toBeLessThan(500);
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  });
});
