// The token in the URL `serve` prints: the UI reads it, then removes it from the address
// bar and the history (so it is not left in bookmarks, screenshots or shared links), and
// keeps it in sessionStorage so a reload still works. Real UI, real serve, Debian's Chromium.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServe, type ServedDaemon } from './helpers/serve';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the token in the UI’s URL', () => {
  let d: ServedDaemon;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
    d = await startServe(['--no-db']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await d?.dispose();
  });

  /** The UI has the daemon's data: a status call with the token succeeded. */
  const connected = () => page.waitForFunction(() => document.getElementById('status-text')?.textContent?.includes(' decisions'));

  test('is gone from the address and the history once read; a reload keeps working', async () => {
    await page.goto(`${d.url}#apps`);
    await page.waitForFunction(() => !location.search.includes('token'));
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    // The page is still the one asked for, hash included.
    expect(new URL(page.url()).hash).toBe('#apps');
    await connected();
    // Nowhere in this tab's history either: back leaves the page rather than showing the token.
    expect(await page.evaluate(() => history.length)).toBe(2); // about:blank, then the app
    await page.reload();
    await connected();
    expect(page.url()).not.toContain(d.token);
    expect(await page.evaluate(() => location.search)).toBe('');
    expect(pageErrors).toEqual([]);
  });
});
