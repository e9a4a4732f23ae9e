import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';
import type { Watchdog } from '../../src/watchdog/watchdog.ts';
import { openBrowser } from '../helpers/browser.ts';

// Review 14 (adversarial review of the status page), in a real Chromium; no engine is used.
// Trigger: healer runs without its history: `history.path: off`, or the history file could not be
//   opened at start-up (corrupted, on a read-only mount), which main.ts logs as "history off: ... the
//   status page shows states only" (README: the page "shows states only without it").
// What happens: /api/history answers 404 {"error":"history is off"}; app.js's get() throws on any
//   non-2xx but 401, refresh() lands in its catch, and the page shows "✖ healer does not answer (...HTTP
//   404); retrying" and NO container rows at all, for ever, though /api/status answers 200 with them.
// What should happen: the page shows every watched container with its state (no bar/uptime columns),
//   and a banner about the containers, not "healer does not answer".
let server: HttpServer | undefined;
let closeBrowser: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeBrowser?.();
  await server?.close();
  server = undefined;
  closeBrowser = undefined;
});

const container = (name: string, state: string) => ({ id: name.padEnd(64, '0'), name, project: 'shop', service: name, state });
const watchdog = {
  status: () => ({ engine: undefined, engineReachable: true, paused: false, containers: [container('api', 'unhealthy'), container('web', 'healthy')], problems: [], unreadable: [] }),
  health: () => ({ ok: true }),
} as unknown as Watchdog;

describe('review14: the status page with the history off', () => {
  it('still shows the watched containers and their states', { timeout: 60_000 }, async () => {
    server = await startServer({
      listen: { host: '127.0.0.1', port: 0 },
      token: undefined,
      metrics: new Metrics({ watchdog: undefined, alerter: undefined }),
      sources: { watchdog },
      history: undefined, // history.path: off, or the file could not be opened
      log: pino({ level: 'silent' }),
    });
    const b = await openBrowser();
    closeBrowser = () => b.close();
    await b.page.goto(`http://127.0.0.1:${server.port}/`);
    // Two polls' worth of time for the page to render what /api/status says.
    await b.page.waitForTimeout(4500);
    const banner = await b.page.locator('#banner').textContent();
    const rows: string[] = [];
    for (const tr of await b.page.locator('tr[data-name]').all()) rows.push(`${await tr.getAttribute('data-name')}:${await tr.getAttribute('data-state')}`);
    expect({ banner, rows }).toEqual({ banner: '◐ Degraded: 1 of 2 watched containers need attention', rows: ['api:unhealthy', 'web:healthy'] });
    // The page says why there is no bar or uptime, and a container's detail view says there is no
    // history instead of failing (it too asked /api/history).
    expect(await b.page.locator('#history-off').isVisible()).toBe(true);
    await b.page.locator('button[data-open="api"]').click();
    await b.page.waitForTimeout(2500);
    expect({
      banner: await b.page.locator('#banner').textContent(),
      state: await b.page.locator('#detail-state').textContent(),
      timeline: await b.page.locator('#timeline').textContent(),
    }).toEqual({ banner: '◐ Degraded: 1 of 2 watched containers need attention', state: '✖ unhealthy', timeline: 'This healer keeps no history (history is off): no chart or timeline.' });
  });
});
