import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryQueries } from '../../src/history/queries.ts';
import { HistoryStore } from '../../src/history/store.ts';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';
import { systemClock } from '../../src/watchdog/clock.ts';
import { badgeSvg } from '../../src/web/badge.ts';
import { CSP } from '../../src/web/routes.ts';

const TOKEN = 'a-token-of-twenty-chars';
let server: HttpServer | undefined;
let store: HistoryStore | undefined;
afterEach(async () => {
  await server?.close();
  store?.close();
  server = undefined;
  store = undefined;
});

async function start(token: string | undefined): Promise<string> {
  store = new HistoryStore({ path: ':memory:', retentionMs: 7 * 86_400_000, maxBytes: 2 ** 24, clock: systemClock });
  store.transition({ at: Date.now() - 1000, container: 'api', event: 'restarted', reason: 'liveness failed' });
  const sources = { watchdog: undefined, alerter: undefined };
  server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token, metrics: new Metrics(sources), sources, history: new HistoryQueries(store), log: pino({ level: 'silent' }) });
  return `http://127.0.0.1:${server.port}`;
}

describe('status page routes', () => {
  it('serves the page and its files under the strict CSP, never inline script', async () => {
    const base = await start(undefined);
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toMatch(/<script src="\/app.js" defer><\/script>/);
    expect(html).not.toMatch(/<script>|<style|\sstyle="|\son[a-z]+="/);
    expect((await fetch(`${base}/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${base}/app.js`, { method: 'POST' })).status).toBe(405);
  });

  it('answers /api/history for one container and rejects a bad since', async () => {
    const base = await start(undefined);
    const r = (await (await fetch(`${base}/api/history?container=api&since=0`)).json()) as { transitions: { event: string }[]; series: { resolution: string } };
    expect(r.transitions.map((t) => t.event)).toEqual(['restarted']);
    expect(r.series.resolution).toBe('hour');
    expect((await fetch(`${base}/api/history?since=yesterday`)).status).toBe(400);
  });

  it('without a token serves what happened and when, never the reasons (SECURITY.md: the listener is open then)', async () => {
    const base = await start(undefined);
    for (const q of ['container=api&since=0', 'since=0']) {
      const text = await (await fetch(`${base}/api/history?${q}`)).text();
      expect(text).toContain('"restarted"');
      expect(text).not.toContain('liveness failed');
    }
    await server?.close();
    store?.close();
    const withToken = await start(TOKEN);
    const r = await fetch(`${withToken}/api/history?since=0`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await r.text()).toContain('liveness failed');
  });

  it('with a token: 401 without it, a wrong login goes back to the form, a right one sets a cookie that opens history and status', async () => {
    const base = await start(TOKEN);
    expect((await fetch(`${base}/api/history`)).status).toBe(401);
    expect((await fetch(`${base}/`)).status).toBe(200); // the page itself holds nothing; it asks for the token
    const login = (token: string) => fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
    const wrong = await login('nope');
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/?login=failed');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await login(TOKEN);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^healer_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\//);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0] ?? '';
    expect((await fetch(`${base}/api/history`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(`${base}/api/status`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(`${base}/api/status`, { headers: { cookie: 'healer_session=forged' } })).status).toBe(401);
    expect((await fetch(`${base}/api/history`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  // SECURITY.md: anyone who reaches the listener may guess; wrong tokens are limited per address.
  it('after 10 wrong tokens (bearer or login) an address gets 429 with Retry-After, the right token included; no token at all is not counted; /healthz stays open', async () => {
    const base = await start(TOKEN);
    for (let i = 0; i < 20; i++) expect((await fetch(`${base}/metrics`)).status).toBe(401); // a scraper without a token
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/api/status`, { headers: { authorization: `Bearer guess-${i}` } })).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token: `guess-${i}` }), redirect: 'manual' })).status).toBe(303);
    const blocked = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' })).status).toBe(429);
    expect((await fetch(`${base}/healthz`)).status).not.toBe(429);
  });

  it('draws a badge with state and uptime, escaping the name', () => {
    const svg = badgeSvg('a<b', 'unhealthy', 0.987);
    expect(svg).toContain('a&#60;b');
    expect(svg).toContain('unhealthy 98.7%');
    expect(svg).toContain('#c62828');
    expect(badgeSvg('api', 'healthy', 1)).toContain('healthy 100%');
  });
});
