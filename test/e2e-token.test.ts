// The token in the URL `serve` prints: the UI reads it, then removes it from the address
// bar and the history (so it is not left in bookmarks, screenshots or shared links), and
// keeps it in sessionStorage so a reload still works. Real UI, real serve, Debian's Chromium.
import type { Page } from 'playwright-core';
import type { ServedDaemon } from './helpers/serve';
import { useUiSession } from './helpers/ui-session';

describe('the token in the UI’s URL', () => {
  const ui = useUiSession(['--no-db']);
  let d: ServedDaemon;
  let page: Page;
  beforeAll(() => {
    ({ d, page } = ui);
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
  });
});
