import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';

describe('undici without its index', () => {
  it('loads the Agent and request() from their own files, and they talk HTTP', async () => {
    const { Agent, request } = await import('../../src/undici.ts');
    const require = createRequire(import.meta.url);
    const loaded = Object.keys(require.cache).filter((p) => /[\\/]undici[\\/]/.test(p));
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((p) => /[\\/]undici[\\/]index\.js$/.test(p))).toEqual([]);
    expect(loaded.filter((p) => /[\\/]lib[\\/](web|mock|cache)[\\/]/.test(p))).toEqual([]);

    const server = createServer((req, res) => {
      res.setHeader('x-seen', `${req.method} ${req.url}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent();
    try {
      const { port } = server.address() as AddressInfo;
      const res = await request(`http://127.0.0.1:${port}/health?deep=1`, { method: 'HEAD', dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-seen']).toBe('HEAD /health?deep=1');
      await res.body.dump();
      const get = await request(`http://127.0.0.1:${port}/plain`, { method: 'GET', dispatcher: agent });
      expect(await get.body.text()).toBe('ok');
      expect(get.headers['x-seen']).toBe('GET /plain');
    } finally {
      await agent.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('dependencies loaded on first use', () => {
  const loaded = (name: string): boolean => Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes(`/node_modules/${name}/`));

  it('cron-parser and pino-pretty are not loaded at start-up, and work once a schedule or pretty logs ask for them', async () => {
    await import('../../src/main.ts');
    const { nextRun } = await import('../../src/watchdog/schedule.ts');
    const { createLogger } = await import('../../src/log.ts');
    createLogger({ level: 'info', format: 'json' });
    expect(['cron-parser', 'luxon', 'pino-pretty'].filter(loaded)).toEqual([]);

    const now = Date.UTC(2026, 0, 1, 0, 0, 7);
    expect(nextRun({ intervalMs: 1000, schedule: '*/15 * * * * *' }, now, undefined) - now).toBe(8000);
    expect(loaded('cron-parser')).toBe(true);

    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    createLogger({ level: 'info', format: 'pretty' }, sink).info({ container: 'web' }, 'restarted');
    await new Promise((r) => setTimeout(r, 50));
    expect(loaded('pino-pretty')).toBe(true);
    expect(lines.join('')).toMatch(/INFO.*restarted/);
  });
});
