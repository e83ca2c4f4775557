// The dashboard at `/` (docs/dashboard.md) in a real browser: Debian's Chromium, headless,
// driven by playwright-core (nothing downloaded). The page lists the instances with their
// states, shows a kill's restart without a reload, restarts an instance with the token given
// once in its form, filters the log tail, fits a phone's width, and a screenshot is saved.
// Skipped where /usr/bin/chromium is missing (.ci/run installs it).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort, writeToken } from '../helpers/http.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;

// This machine's closed network would otherwise make Chromium wait on its own services.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function configOf(port: number, read = 'open'): string {
  return `
http:
  listen: 127.0.0.1:${port}
  token_file: token
  read: ${read}
services:
  web:
    command: [sh, -c, 'echo "web listening, pid $$$$"; exec sleep 600']
    instances: 2
    min_uptime: 100ms
    backoff: { initial: 100ms }
  worker:
    command: [sh, -c, 'i=0; while :; do i=$((i+1)); echo "job $i done"; sleep 0.5; done']
    min_uptime: 100ms
  cache:
    command: [sleep, "600"]
    min_uptime: 100ms
  mailer:
    command: [sh, -c, 'echo "connecting to smtp.internal:25" ; echo "error: connect ECONNREFUSED 10.0.0.7:25" >&2; exit 3']
    min_uptime: 500ms
    backoff: { initial: 100ms }
    start_limit: { burst: 2, interval: 1m }
`;
}

/** The text of `selector` in the card of `instance`. */
const cardText = (page: Page, instance: string, selector: string): Promise<string> =>
  page.locator(`[data-instance="${instance}"] ${selector}`).innerText();

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  await waitFor(what, async () => probe().catch(() => false), 30_000, 100);
}

void describe('dashboard in Chromium', { skip }, () => {
  let sb: Sandbox | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  // A fresh profile in a temp dir, and the page's script errors and CSP violations collected.
  async function launch(): Promise<{ page: Page; problems: string[] }> {
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'warden-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: FLAGS,
      headless: true,
      viewport: { width: 1280, height: 800 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    return { page, problems };
  }

  afterEach(async () => {
    await context?.close();
    context = undefined;
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    await sb?.cleanup();
    sb = undefined;
  });

  void it('shows the instances live, restarts one with the token, filters the log tail', async () => {
    sb = sandbox();
    const port = await freePort();
    sb.config(configOf(port));
    const { token } = writeToken(sb.dir);
    assert.equal((await sb.warden(['up'])).code, 0);
    const { page, problems } = await launch();

    const response = await page.goto(`http://127.0.0.1:${port}/`);
    assert.equal(response?.status(), 200);
    const csp = (await response?.allHeaders())?.['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /connect-src 'self'/);

    // Every instance with its state, in colour and in words.
    await until('every instance shown, mailer failed', async () => {
      const states = await Promise.all(
        ['web:0', 'web:1', 'worker', 'cache', 'mailer'].map((i) => cardText(page, i, '.state')),
      );
      // innerText is as shown: upper case, by the style sheet.
      return (
        states.map((s) => s.toLowerCase()).join(' ') === 'running running running running failed'
      );
    });
    assert.match(await cardText(page, 'mailer', '.exit'), /exit code 3/);
    assert.match(await cardText(page, 'mailer', '.stderr'), /ECONNREFUSED 10\.0\.0\.7:25/);
    assert.match(await cardText(page, 'cache', '.memory'), /\d+(\.\d)? [KMG]B/);
    // Evaluated in the page (as strings: these tests are compiled without the DOM's types).
    await page.evaluate('window.marker = 1');

    // A kill, seen on the page without a reload: one restart, a new pid.
    const before = (await sb.status()).instances.find((i) => i.name === 'web:0');
    assert.ok(before?.pid);
    process.kill(before.pid, 'SIGKILL');
    await until('the restart shown', async () => {
      const restarts = await cardText(page, 'web:0', '.restarts');
      const pid = await cardText(page, 'web:0', '.pid');
      const state = (await cardText(page, 'web:0', '.state')).toLowerCase();
      return (
        restarts === '1' && /^\d+$/.test(pid) && pid !== String(before.pid) && state === 'running'
      );
    });
    assert.equal(await page.evaluate<number | undefined>('window.marker'), 1, 'not reloaded');

    // Restart by its button: the token is asked once, kept in sessionStorage only.
    const web1 = (await sb.status()).instances.find((i) => i.name === 'web:1');
    assert.ok(web1?.pid);
    await page.locator('[data-instance="web:1"] button.restart').click();
    await page.locator('#token').fill(token);
    await page.locator('#token-ok').click();
    await until('web:1 restarted with a new pid', async () => {
      const now = (await sb?.status())?.instances.find((i) => i.name === 'web:1');
      return now?.state === 'running' && now.pid !== null && now.pid !== web1.pid;
    });
    const storage = await page.evaluate<unknown>(
      "({ session: sessionStorage.getItem('warden.token'), local: localStorage.length, cookies: document.cookie })",
    );
    assert.deepEqual(storage, { session: token, local: 0, cookies: '' });
    // A second action does not ask again.
    const cache = (await sb.status()).instances.find((i) => i.name === 'cache');
    await page.locator('[data-instance="cache"] button.restart').click();
    await until('cache restarted without a second question', async () => {
      const now = (await sb?.status())?.instances.find((i) => i.name === 'cache');
      return now?.state === 'running' && now.pid !== cache?.pid;
    });
    assert.equal(await page.locator('#token-dialog').isVisible(), false);

    // The log tail, merged, then filtered.
    await until('lines of several services', async () => {
      const text = await page.locator('#log').innerText();
      return /job \d+ done/.test(text) && /web listening/.test(text) && /ECONNREFUSED/.test(text);
    });
    await page.locator('#filter').fill('econnrefused');
    await until('only the matching lines', async () => {
      const lines = await page.locator('#log .line').allInnerTexts();
      return lines.length > 0 && lines.every((l) => l.includes('ECONNREFUSED'));
    });
    await page.locator('#filter').fill('');
    await until('every line again', async () =>
      /job \d+ done/.test(await page.locator('#log').innerText()),
    );

    const shot = join(sb.dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: false });
    assert.ok(statSync(shot).size > 10_000);
    // `WARDEN_DASHBOARD_SCREENSHOT=docs/dashboard.png` keeps a copy (the one in the README).
    const keep = process.env.WARDEN_DASHBOARD_SCREENSHOT;
    if (keep !== undefined) copyFileSync(shot, keep);

    // At a phone's width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await until('no horizontal scrolling', () =>
      page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'),
    );
    await page.screenshot({ path: join(sb.dir, 'dashboard-phone.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no script error or CSP violation');
  });

  void it('asks for the token first when reads need it, and shows nothing before', async () => {
    sb = sandbox();
    const port = await freePort();
    sb.config(configOf(port, 'token'));
    const { token } = writeToken(sb.dir);
    assert.equal((await sb.warden(['up'])).code, 0);
    const { page } = await launch();
    // The page and its script hold no data: a browser loads them without the token.
    assert.equal((await page.goto(`http://127.0.0.1:${port}/`))?.status(), 200);
    await until('the token asked for', () => page.locator('#token-dialog').isVisible());
    assert.equal(await page.locator('[data-instance]').count(), 0);
    await page.locator('#token').fill('not-the-token-at-all');
    await page.locator('#token-ok').click();
    await until('asked again after a wrong token', () => page.locator('#token-dialog').isVisible());
    await page.locator('#token').fill(token);
    await page.locator('#token-ok').click();
    await until(
      'the instances shown',
      async () => (await cardText(page, 'worker', '.state')).toLowerCase() === 'running',
    );
    await until('the log tail shown', async () =>
      /job \d+ done/.test(await page.locator('#log').innerText()),
    );
  });
});
