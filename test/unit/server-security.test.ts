import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import { publicStatus, startServer, type HttpServer } from '../../src/server.ts';

/** A logger whose lines are kept as objects. */
function captured(): { log: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the listener without a token', () => {
  it.each([
    ['0.0.0.0', true],
    ['127.0.0.1', false],
    ['::1', false],
  ])('listening on %s: warns at start = %s', async (host, warns) => {
    const { log, lines } = captured();
    server = await startServer({ listen: { host, port: 0 }, token: undefined, metrics: new Metrics({ watchdog: undefined, alerter: undefined }), sources: { watchdog: undefined }, log });
    const warning = lines.find((l) => l.level === 40);
    expect(warning?.msg.startsWith('the http listener is reachable beyond this host without a token') ?? false).toBe(warns);
  });

  it('with a token on every interface: no warning', async () => {
    const { log, lines } = captured();
    server = await startServer({ listen: { host: '0.0.0.0', port: 0 }, token: 'a-token-of-enough-length', metrics: new Metrics({ watchdog: undefined, alerter: undefined }), sources: { watchdog: undefined }, log });
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('/api/status without a token: names and states, nothing else', async () => {
    const { log } = captured();
    server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: undefined, metrics: new Metrics({ watchdog: undefined, alerter: undefined }), sources: { watchdog: undefined }, log });
    const body = (await (await fetch(`http://${server.address}/api/status`)).json()) as Record<string, unknown>;
    expect(body).toEqual({ engineReachable: false, paused: false, containers: [], problems: [], unreadable: [], detail: 'names and states only: set server.token_file for the full status' });
  });

  it('publicStatus keeps only name, project, service and state', () => {
    const full = {
      engineReachable: true,
      paused: false,
      containers: [{ id: 'abc', name: 'api', project: 'shop', service: 'api', state: 'healthy', lifecycle: 'running', liveness: { probe: 'http://:8080/h?token=[redacted]', up: true, failures: 0 }, readiness: undefined, lastProbe: {}, restartsInWindow: 2, crashLoop: 'closed', backoffUntil: undefined, pending: undefined, heldBy: undefined, lastExit: undefined }],
      problems: [{ id: 'def', name: 'bad', errors: ['label healer.liveness on container "bad": ...'] }],
      unreadable: [{ id: '0123456789abcdef0123', error: 'inspect 0123456789ab failed with HTTP 500: ...', since: '2026-01-01T00:00:00.000Z', retryAt: '2026-01-01T00:00:01.000Z', attempts: 1 }],
    } as unknown as Parameters<typeof publicStatus>[0];
    expect(publicStatus(full)).toEqual({
      engineReachable: true,
      paused: false,
      containers: [{ name: 'api', project: 'shop', service: 'api', state: 'healthy' }],
      problems: [{ name: 'bad' }],
      unreadable: [{ id: '0123456789ab', since: '2026-01-01T00:00:00.000Z' }],
      detail: 'names and states only: set server.token_file for the full status',
    });
  });
});
