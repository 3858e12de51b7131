import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { rootDir } from '../../src/lib/paths.js';
import { seedDemoCatalog } from '../../seeds/demo-catalog.js';
import { attachDemoFiles } from '../../seeds/demo-files.js';
import { freePort } from './database.js';
import { startMailbox, type Mailbox } from './mailbox.js';
import { createTestContext, type TestContext } from './context.js';

export const screenshotDir = path.join(rootDir, 'test-results', 'screenshots');

/** Debian's chromium, headless, with no background traffic (this machine has no network). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Serves a test context's app on a free local port. */
export async function listen(t: TestContext, port = 0): Promise<{ baseUrl: string; server: Server }> {
  const server = t.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * Collects what a shopper would notice as broken: script errors, failed requests and console
 * errors (a CSP violation shows up there too).
 */
export function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    // A request cut off by navigating away (a fire-and-forget analytics call) is not a fault.
    if (r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  // Lazy images load only when scrolled into view; scroll through so full-page shots show them.
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += 600) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 30));
    }
    window.scrollTo(0, 0);
  });
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Mocha hooks for a browser suite: the app on a fresh database (with the demo catalog and its
 * files when `seed`), served on a free port that BASE_URL names (so links in mail point at it),
 * a capturing SMTP server when `mailbox`, and one chromium. Read the fields inside tests.
 */
export function useBrowserApp(opts: { seed?: boolean; mailbox?: boolean } = {}) {
  const env = {} as { t: TestContext; server: Server; baseUrl: string; browser: Browser; mailbox: Mailbox };
  before(async () => {
    if (opts.mailbox) env.mailbox = await startMailbox();
    const port = await freePort();
    env.t = await createTestContext({ BASE_URL: `http://127.0.0.1:${port}`, ...(opts.mailbox ? { SMTP_URL: env.mailbox.url } : {}) });
    if (opts.seed) {
      await seedDemoCatalog(env.t.db);
      await attachDemoFiles(env.t.db, env.t.deps.storage, env.t.config.storeName);
    }
    ({ server: env.server, baseUrl: env.baseUrl } = await listen(env.t, port));
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    if (env.server) await new Promise((r) => env.server.close(r));
    await env.t?.close();
    await env.mailbox?.close();
  });
  return env;
}
