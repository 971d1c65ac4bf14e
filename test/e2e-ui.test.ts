// End to end: the real UI in Debian's Chromium (playwright-core) against the real
// `reclaimd serve` on the simulated device, with a real SQLite file. Screenshots of every
// page go to a scratch folder, or to docs/screenshots/ (README.md shows them) when
// RECLAIMD_SCREENSHOTS=docs: a plain test run leaves the working tree as it found it.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ServedDaemon } from './helpers/serve';
import { DEMO_NEVER_FOREGROUND, useUiSession } from './helpers/ui-session';

describe('the UI in Chromium against reclaimd serve', () => {
  const ui = useUiSession(['--scenario', 'demo'], { viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  let d: ServedDaemon;
  let page: Page;
  let SHOTS: string;
  beforeAll(() => {
    ({ d, page, shots: SHOTS } = ui);
  });
  const open = (hash: string) => ui.open(hash);
  /** The page scrolls inside <main>: a tall viewport shows all of it. */
  const tallScreenshot = async (file: string) => {
    await page.setViewportSize({ width: 1280, height: 1900 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, file) });
    await page.setViewportSize({ width: 1280, height: 860 });
  };
  // One the agent may act on (an earlier test makes an app protected, whose buttons are then
  // disabled), among the apps the demo never brings to the front (scenarios/demo.json): it loops in real time and
  // switches the foreground, so an app in the background now may be in front by the click.
  const firstBackgroundApp = async () => {
    const procs = await d.client.call('processes', {});
    return procs.processes.find((p) => DEMO_NEVER_FOREGROUND.includes(p.appKey) && p.eligible)!;
  };

  test('set a priority, reload, it is still there', async () => {
    await open('apps');
    const app = await firstBackgroundApp();
    await page.getByLabel('Refresh rate').selectOption({ label: 'paused' }); // rows hold still (see below)
    const select = page.getByLabel(`Priority of ${app.appKey}`, { exact: true });
    await select.selectOption('protected');
    await page.getByText(`${app.appKey}: priority protected`).waitFor();
    await page.reload();
    await page.getByLabel(`Priority of ${app.appKey}`, { exact: true }).waitFor();
    await expect(page.getByLabel(`Priority of ${app.appKey}`, { exact: true }).inputValue()).resolves.toBe('protected');
    await page.getByRole('table', { name: 'Stored priorities' }).getByText(app.appKey).waitFor();
    // The daemon has it too (and the ranking obeys it).
    expect(await d.client.call('priorities.list', {})).toEqual([expect.objectContaining({ appKey: app.appKey, priority: 'protected' })]);
    await page.waitForFunction((key) => [...document.querySelectorAll('.vrow')].some((r) => r.textContent?.includes(key)), app.appKey);
  });

  test('a manual reclaim asks first, naming the app, and adds a decision row', async () => {
    await open('apps');
    const app = await firstBackgroundApp();
    // The list re-ranks 10×/s and reuses its rows: hold it still, so the button found is the
    // button clicked (the dialog below names the app, which is what protects a person).
    await page.getByLabel('Refresh rate').selectOption({ label: 'paused' });
    await page.getByLabel(`Reclaim anon pages of ${app.appKey}`, { exact: true }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain(`Reclaim anon pages of ${app.appKey}?`);
    await dialog.getByRole('button', { name: 'Reclaim anon' }).click();
    await page.locator('.toast').filter({ hasText: app.appKey }).first().waitFor();
    await open('live');
    const row = page.locator('.feed .row').filter({ hasText: `reclaim anon pages of ${app.appKey}` });
    await row.first().waitFor();
    // The demo's call brings pressure within ~30 s: the agent's own decisions arrive live.
    await page.locator('.feed .row').filter({ hasText: /(psi|vmpressure)\/(low|medium|critical)/ }).first().waitFor({ timeout: 90_000 });
    await page.waitForTimeout(3000);
    await page.screenshot({ path: join(SHOTS, 'live.png') });
    await row.first().click();
    await page.getByRole('dialog').getByText('Signal').waitFor();
    await page.keyboard.press('Escape');
  });

  test('filter the history by app; a row opens the full decision', async () => {
    // Decisions for two apps, so the filter has something to leave out.
    const procs = await d.client.call('processes', {});
    for (const p of procs.processes.filter((x) => !x.foreground)) await d.client.call('reclaim.manual', { pid: p.pid, kind: 'file' });
    const app = await firstBackgroundApp();
    await open('history');
    await page.locator('.history-table .vrow:not([hidden])').first().waitFor();
    const allApps = await page.locator('.history-table .vrow:not([hidden]) [role="cell"]:nth-child(2)').allTextContents();
    expect(new Set(allApps.map((t) => t.split(' (')[0])).size).toBeGreaterThan(1);
    await page.getByRole('searchbox', { name: 'App' }).fill(app.appKey);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(
      (key) => {
        const cells = [...document.querySelectorAll('.history-table .vrow:not([hidden]) [role="cell"]:nth-child(2)')];
        return cells.length > 0 && cells.every((c) => c.textContent?.startsWith(`${key} (`));
      },
      app.appKey,
    );
    await page.screenshot({ path: join(SHOTS, 'history.png') });
    await page.locator('.history-table .vrow:not([hidden])').first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Candidates (best victim first)').waitFor();
    await expect(dialog.textContent()).resolves.toContain(app.appKey);
    await page.screenshot({ path: join(SHOTS, 'decision.png') });
    await page.keyboard.press('Escape');
  });

  test('run a replay of game-call comparing reclaim with android, lmkd and none (the default) and see every column', async () => {
    await open('replay');
    await page.locator('select[name="scenario"] option[value="game-call"]').waitFor({ state: 'attached' });
    await page.locator('input[name="policy"][value="lmkd"]').waitFor();
    await expect(page.locator('input[name="policy"][value="reclaim"]').isChecked()).resolves.toBe(true);
    await expect(page.locator('input[name="policy"][value="lmkd"]').isChecked()).resolves.toBe(true);
    await expect(page.locator('input[name="policy"][value="android"]').isChecked()).resolves.toBe(true);
    await expect(page.locator('input[name="policy"][value="none"]').isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const table = page.getByRole('table', { name: 'Metrics by policy' });
    await table.waitFor();
    await expect(table.locator('thead th').allTextContents()).resolves.toEqual(['metric', 'reclaim', 'android', 'lmkd', 'none']);
    // The better value is marked: reclaim kills nothing, android (its lmkd) kills.
    const kills = table.locator('tbody tr').filter({ hasText: 'agent kills' });
    await expect(kills.locator('td').nth(0).getAttribute('class')).resolves.toContain('better');
    await expect(kills.locator('td').nth(1).textContent()).resolves.not.toBe('0');
    await page.locator('.uplot').nth(3).waitFor();
    await page.getByRole('table', { name: 'Stored runs' }).waitFor();
    await tallScreenshot('replay.png');
  });

  test('a malformed scenario file shows its error at the field', async () => {
    await open('replay');
    const bad = { name: 'broken', device: 'phone-2g', duration: '12 parsecs', apps: [{ id: 'game', anon: '300MiB', file: '100MiB' }], timeline: [{ at: '1s', do: 'launch', app: 'gaem' }] };
    await page.locator('input[type="file"][name="scenario-file"]').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    const issues = page.locator('#scenario-file-errors .issues');
    await issues.waitFor();
    const text = await issues.textContent();
    expect(text).toContain('duration');
    expect(text).toContain('timeline[0].app');
    await expect(page.locator('input[type="file"][name="scenario-file"]').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.screenshot({ path: join(SHOTS, 'replay-invalid-file.png') });
  });

  test('settings: a bad parameter is shown at its field; a good one applies', async () => {
    await open('settings');
    const cooldown = page.locator('input[name="param.cooldownMs"]');
    await cooldown.waitFor();
    await tallScreenshot('settings.png');
    await cooldown.fill('-5');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#err-param\\.cooldownMs').filter({ hasText: 'Cooldown (ms): at least 0' }).waitFor();
    await cooldown.fill('20000');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved.').first().waitFor();
    expect((await d.client.call('settings.get', {})).params).toEqual({ reclaim: expect.objectContaining({ cooldownMs: 20000 }) });
    // Dry run: the banner says so on every page until it is turned off.
    await page.getByLabel('Dry run (decide and log, touch nothing)').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#banner[data-mode="dry-run"]').waitFor();
    await expect(page.locator('#banner').textContent()).resolves.toContain('Dry run');
    await page.getByLabel('Dry run (decide and log, touch nothing)').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#banner[data-mode="active"]').waitFor({ state: 'attached' });
  });

  test('dark theme, and every page reachable by keyboard', async () => {
    await open('live');
    await page.getByRole('button', { name: 'Switch between light and dark theme' }).click();
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'live-dark.png') });
    // Tab from the top reaches the page tabs (one tab stop); the arrow keys move between them.
    await page.reload();
    await page.waitForSelector('.tabs a[data-page="live"][aria-selected="true"]');
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab'); // Live
    await page.keyboard.press('ArrowRight'); // Apps
    await page.waitForSelector('.tabs a[data-page="apps"][aria-selected="true"]');
    await page.getByRole('button', { name: 'Switch between light and dark theme' }).click();
    // By now the demo has launched every app: the Apps page with its full list.
    await page.locator('.apps-table .vrow:not([hidden])').nth(4).waitFor();
    await page.waitForTimeout(1200);
    await page.screenshot({ path: join(SHOTS, 'apps.png') });
  });
});
