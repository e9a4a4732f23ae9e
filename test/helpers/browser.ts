import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The flags TESTBED.md names: headless, no sandbox (root), no GPU, and none of Chromium's own traffic. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Debian's Chromium with a fresh profile, every request the page makes recorded (to prove none leaves
 * 127.0.0.1), and its console errors (a CSP violation shows up there).
 */
export async function openBrowser(): Promise<{ context: BrowserContext; page: Page; requests: string[]; errors: string[]; close(): Promise<void> }> {
  const profile = mkdtempSync(`${tmpdir()}/healer-chromium-`);
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } });
  const page = context.pages()[0] ?? (await context.newPage());
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return {
    context,
    page,
    requests,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
