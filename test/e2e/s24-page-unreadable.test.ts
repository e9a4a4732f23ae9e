import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { refusingProxy } from '../helpers/refusing-proxy.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, engineSuite, fastLabels, newRunId, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';

// Session 24, on the real engine and in a real browser (Chromium).
// Trigger: the engine keeps failing the inspect of a labelled container (here a proxy to the engine's
// socket answers it with a 500). healer does not watch it (it cannot tell whether it opts in) and lists
// it under `unreadable` in /api/status only: the status page said "All 1 watched containers healthy"
// and /metrics had nothing, so an operator looking at the page or a dashboard did not see that a
// container is not watched.
const suite = engineSuite();
const TOKEN = 's3cret-token-for-the-page';
/** The engine's error, with what must not reach the operator's screen raw: an ANSI escape and a bidi override. */
const MESSAGE = 'daemon busy \u001b[2K\u202eevil';

/** healer_containers_unreadable in a scrape; undefined when absent. */
async function unreadableGauge(base: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  const m = /^healer_containers_unreadable (\S+)$/m.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

describe('a container whose inspect the engine keeps failing', () => {
  it('is shown as not watched on the status page (short id, since when, the error escaped) and counted in healer_containers_unreadable, until the engine answers', { timeout: 90_000 }, async () => {
    const runId = newRunId();
    const dir = mkdtempSync(`${tmpdir()}/healer-unreadable-`);
    writeFileSync(`${dir}/token`, `${TOKEN}\n`);
    const proxy = await refusingProxy(MESSAGE);
    suite.defer(() => proxy.close());
    const [okPort, lostPort] = [await freePort(), await freePort()];
    await runContainer({ runId, name: 'web', labels: fastLabels(runId, `http://:${okPort}/health`), cmd: appCommand(okPort) });
    const lost = await runContainer({ runId, name: 'lost', labels: fastLabels(runId, `http://:${lostPort}/health`), cmd: appCommand(lostPort) });
    proxy.refuse(lost, 1_000_000);
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host, HEALER_SERVER_TOKEN_FILE: `${dir}/token` });
    suite.defer(() => h.stop());
    const base = `http://127.0.0.1:${h.healer.server?.port}`;
    await waitFor('web watched, lost unreadable', () => h.healer.watchdog.watches.size === 1 && h.healer.watchdog.status().unreadable.length === 1);
    expect(await unreadableGauge(base)).toBe(1);

    const b = await openBrowser();
    suite.defer(() => b.close());
    const { page } = b;
    await page.goto(`${base}/`);
    await page.locator('input[name="token"]').fill(TOKEN);
    await page.locator('form#login button').click();
    const row = page.locator(`#unreadable tr[data-id="${lost.slice(0, 12)}"]`);
    await row.waitFor({ timeout: 20_000 });
    // Before the login the page's polls were answered 401: that is the login form's cue, not a fault.
    const beforeLogin = b.errors.splice(0);
    expect(beforeLogin.filter((e) => !e.startsWith('HTTP 401 ') && !e.includes('status of 401'))).toEqual([]);
    expect(await page.locator('#unreadable').isVisible()).toBe(true);
    expect(await row.locator('td').first().textContent()).toBe(lost.slice(0, 12));
    const since = h.healer.watchdog.status().unreadable[0]?.since;
    expect(await row.locator('time').getAttribute('datetime')).toBe(since);
    const error = (await row.locator('td.error').textContent()) ?? '';
    expect(error).toContain('daemon busy \\x1b[2K\\u202eevil');
    expect([error.includes('\u001b'), error.includes('\u202e')]).toEqual([false, false]);
    await expect.poll(() => page.locator('#banner').textContent()).toMatch(/1 container not watched: the engine fails to inspect it/);
    expect(await page.locator('#banner').getAttribute('class')).toBe('warn');

    // The engine answers again: healer watches it, and the page and the metric say so.
    proxy.refuse(lost, 0);
    await waitFor('lost watched', () => h.healer.watchdog.watches.size === 2, 45_000);
    await page.locator('#unreadable').waitFor({ state: 'hidden', timeout: 10_000 });
    await expect.poll(() => page.locator('#banner').textContent()).toMatch(/All 2 watched containers healthy/);
    expect(await unreadableGauge(base)).toBe(0);
    expect(b.errors).toEqual([]);
  });
});
