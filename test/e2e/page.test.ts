import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, docker, engineSuite, execIn, fastLabels, newRunId, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';

const suite = engineSuite();
/** Screenshots go here (a temp dir unless SCREENSHOT_DIR says otherwise); docs/ holds a committed one. */
const shots = process.env.SCREENSHOT_DIR ?? mkdtempSync(`${tmpdir()}/healer-shots-`);

describe('the status page in a real browser', () => {
  it('follows a broken container through unhealthy, restarted and recovered without a reload, and keeps the history across a healer restart', { timeout: 90_000 }, async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-page-`);
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${stateDir}/state.json` };
    const [appPort, okPort] = [await freePort(), await freePort()];
    const project = { 'com.docker.compose.project': `shop-${runId}` };
    const app = `api-${runId}`;
    const id = await runContainer({ runId, name: 'api', labels: { ...fastLabels(runId, `http://:${appPort}/health`), ...project }, cmd: appCommand(appPort) });
    const webId = await runContainer({ runId, name: 'web', labels: { ...fastLabels(runId, `http://:${okPort}/health`), ...project }, cmd: appCommand(okPort) });
    // Failing for good, alerted only: the filter's subject.
    const deadPort = await freePort();
    await runContainer({ runId, name: 'legacy', labels: fastLabels(runId, `tcp://127.0.0.1:${deadPort}`, { 'healer.action': 'notify' }), cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] });

    let h = await startTestHealer(env);
    suite.defer(() => h.stop());
    const b = await openBrowser();
    suite.defer(() => b.close());
    const { page } = b;
    // Loads of the document (a hash change for the detail view is not one).
    let loads = 0;
    page.on('load', () => loads++);
    const base = `http://127.0.0.1:${h.healer.server?.port}`;
    await page.goto(`${base}/`);
    const row = (name: string) => page.locator(`tr[data-name="${name}"]`);
    await row(app).locator('[data-state="healthy"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('section.group h2').allTextContents()).toEqual(expect.arrayContaining([`shop-${runId}`, 'no compose project']));
    await row(`legacy-${runId}`).locator('[data-state="unhealthy"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#banner').textContent()).toMatch(/Degraded: 1 of 3/);

    // The detail view, opened before the breakage, shows each transition as it happens.
    await row(app).getByRole('button', { name: app }).click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    await execIn(id, ['rm', '/www/health']);
    for (const event of ['unhealthy', 'restarted', 'recovered']) await page.locator(`#timeline li[data-event="${event}"]`).first().waitFor({ timeout: 30_000 });
    expect(await page.locator('#timeline li[data-event="recovered"]').first().textContent()).toMatch(/recovered in \d/);
    await page.locator('#chart svg line.restart').first().waitFor({ state: 'attached' });
    expect(await page.locator('#chart svg polyline').count()).toBe(1);
    expect(await page.locator('#detail-state [data-state]').getAttribute('data-state')).toBe('healthy');
    await page.screenshot({ path: `${shots}/detail-desktop.png`, fullPage: true });

    // Back in the list: restarts counted, last time to recovery shown; the filter keeps only the failing one.
    await page.locator('#back').click();
    await expect.poll(() => row(app).locator('td[data-label="restarts 24h"]').textContent()).toBe('1');
    expect(await row(app).locator('td[data-label="last recovery"]').textContent()).toMatch(/\d+(\.\d)? (ms|s)/);
    await page.screenshot({ path: `${shots}/page-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${shots}/page-phone.png`, fullPage: true });
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.locator('#failing-only').check();
    await expect.poll(async () => Promise.all((await page.locator('tbody tr').all()).map((r) => r.getAttribute('data-name')))).toEqual([`legacy-${runId}`]);
    await page.locator('#failing-only').uncheck();
    expect(loads).toBe(1);

    // An operator's stop and start are transitions too.
    await docker.getContainer(webId).stop({ t: 1 });
    await docker.getContainer(webId).start();
    const webEvents = async () => ((await (await fetch(`${base}/api/history?container=web-${runId}`)).json()) as { transitions: { event: string }[] }).transitions.map((t) => t.event);
    await waitFor('operator stop and start recorded', async () => {
      const e = await webEvents();
      return e.includes('operator_stop') && e.includes('operator_start');
    });
    expect(await webEvents()).not.toContain('restarted');

    // healer restarts (new process state, same files): the history is still there.
    const beforeRestart = b.errors.length;
    await h.stop();
    h = await startTestHealer(env);
    const again = `http://127.0.0.1:${h.healer.server?.port}`;
    await page.goto(`${again}/#/c/${encodeURIComponent(app)}`);
    // The open page polled while healer was down: a refused connection then is the restart, not a fault.
    const duringRestart = b.errors.splice(beforeRestart);
    b.errors.push(...duringRestart.filter((e) => !e.includes('net::ERR_CONNECTION_REFUSED')));
    await page.locator('#timeline li[data-event="restarted"]').first().waitFor({ timeout: 20_000 });
    const json = (await (await fetch(`${again}/api/history?container=${app}&since=0`)).json()) as { transitions: { event: string }[] };
    expect(json.transitions.map((t) => t.event)).toEqual(expect.arrayContaining(['unhealthy', 'restarted', 'recovered']));
    const badge = await waitFor('a healthy badge', async () => {
      const r = await fetch(`${again}/badge/${app}.svg`);
      const text = await r.text();
      return r.headers.get('content-type') === 'image/svg+xml' && />healthy( [\d.]+%)?</.test(text) ? text : undefined;
    });
    expect(badge).toContain(app);

    // Every request the browser made went to healer on 127.0.0.1; the CSP blocked nothing; assets are small.
    expect(b.requests.length).toBeGreaterThan(10);
    expect(b.requests.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
    expect(b.errors).toEqual([]);
    const res = await fetch(`${again}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    let total = 0;
    for (const f of ['index.html', 'app.js', 'app.css', 'favicon.svg']) total += statSync(new URL(`../../src/web/assets/${f}`, import.meta.url)).size;
    expect(total).toBeLessThan(150 * 1024);
  });

  it('asks for the token when one is set, and a login sets an HttpOnly, SameSite=Strict cookie', { timeout: 60_000 }, async () => {
    const runId = newRunId();
    const dir = mkdtempSync(`${tmpdir()}/healer-page-token-`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/token`, 's3cret-token-for-the-page\n');
    const port = await freePort();
    await runContainer({ runId, name: 'api', labels: fastLabels(runId, `http://:${port}/health`), cmd: appCommand(port) });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_SERVER_TOKEN_FILE: `${dir}/token` });
    suite.defer(() => h.stop());
    const b = await openBrowser();
    suite.defer(() => b.close());
    const { page, context } = b;
    const base = `http://127.0.0.1:${h.healer.server?.port}`;
    await waitFor('watching', () => h.healer.watchdog.watches.size === 1);

    expect((await fetch(`${base}/api/history`)).status).toBe(401);
    await page.goto(`${base}/`);
    await page.locator('form#login').waitFor({ state: 'visible' });
    expect(await page.locator('th', { hasText: 'uptime' }).count()).toBe(0);

    await page.locator('input[name="token"]').fill('wrong');
    await page.locator('form#login button').click();
    await page.locator('#login-failed').waitFor({ state: 'visible' });
    await page.locator('input[name="token"]').fill('s3cret-token-for-the-page');
    await page.locator('form#login button').click();
    await page.locator('th', { hasText: 'uptime' }).waitFor();
    await page.locator(`tr[data-name="api-${runId}"] [data-state="healthy"]`).waitFor({ timeout: 20_000 });
    expect(await page.locator('form#login').isHidden()).toBe(true);
    const cookie = (await context.cookies()).find((c) => c.name === 'healer_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookie?.value).not.toContain('s3cret');

    // The bearer header keeps working for the APIs.
    const bearer = await fetch(`${base}/api/history`, { headers: { authorization: 'Bearer s3cret-token-for-the-page' } });
    expect(bearer.status).toBe(200);
    expect(Object.keys(((await bearer.json()) as { containers: object }).containers)).toEqual([`api-${runId}`]);
    expect(b.requests.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
  });
});
