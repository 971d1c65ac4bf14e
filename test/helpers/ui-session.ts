// What the end-to-end UI tests share: Debian's Chromium (playwright-core) on the real UI of a
// real `reclaimd serve`, page errors collected, and a folder for screenshots — docs/screenshots
// (README.md shows them) only when RECLAIMD_SCREENSHOTS=docs, else a scratch folder removed
// afterwards, so a plain test run leaves the working tree as it found it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServe, type ServedDaemon } from './serve';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium as the tests run it (no sandbox: root in CI; no GPU; no /dev/shm limits). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface UiSession {
  d: ServedDaemon;
  browser: Browser;
  page: Page;
  /** Uncaught errors of the page; each test checks there were none. */
  pageErrors: string[];
  /** Where screenshots go (see the file comment). */
  shots: string;
  /** Go to a page of the app (`live`, `apps`, `history?decision=3` …) and wait until it shows. */
  open(hash: string): Promise<void>;
}

/**
 * The demo's apps that are never in the foreground (scenarios/demo.json: notes, game and dialer
 * take turns): a test that clicks an app's reclaim button picks one of these, since the demo
 * loops in real time and the foreground may change between reading the list and the click.
 */
export const DEMO_NEVER_FOREGROUND: readonly string[] = ['music', 'svc'];

/**
 * One serve + Chromium page for a describe block: started before its tests, closed after them
 * (also when they fail); every test fails on an uncaught page error. Fields are filled in
 * beforeAll, so read them inside tests.
 */
export function useUiSession(serveArgs: string[], pageOptions: Parameters<Browser['newPage']>[0] = {}): UiSession {
  const keepShots = process.env.RECLAIMD_SCREENSHOTS === 'docs';
  const s: UiSession = {
    d: undefined as unknown as ServedDaemon,
    browser: undefined as unknown as Browser,
    page: undefined as unknown as Page,
    pageErrors: [],
    shots: '',
    async open(hash) {
      await s.page.goto(`${s.d.url}#${hash}`);
      await s.page.waitForSelector(`.tabs a[data-page="${hash.split('?')[0]}"][aria-selected="true"]`);
    },
  };
  beforeAll(async () => {
    s.shots = keepShots ? join(__dirname, '..', '..', 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'reclaimd-shots-'));
    s.d = await startServe(serveArgs);
    s.browser = await launchChromium();
    s.page = await s.browser.newPage(pageOptions);
    s.page.on('pageerror', (e) => s.pageErrors.push(e.message));
  });
  afterAll(async () => {
    await s.browser?.close();
    await s.d?.dispose();
    if (!keepShots && s.shots) rmSync(s.shots, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(s.pageErrors).toEqual([]);
  });
  return s;
}
