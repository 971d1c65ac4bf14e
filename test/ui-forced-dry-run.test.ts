// The UI when `serve --dry-run` forces dry run: the Settings page shows the switch as forced
// (and does not offer to turn it off), the banner says what forces it, and saving other
// settings works. Debian's Chromium against the real `reclaimd serve`.
import { useUiSession } from './helpers/ui-session';

describe('the UI with dry run forced by the command line', () => {
  const ui = useUiSession(['--dry-run']);

  test('the dry-run switch is shown forced, the banner names --dry-run, and a save keeps the saved dry run as it was', async () => {
    const { page, d } = ui;
    await page.goto(`${d.url}#settings`);
    const dryRun = page.getByLabel('Dry run (decide and log, touch nothing)');
    await dryRun.waitFor();
    await expect(dryRun.isChecked()).resolves.toBe(true);
    await expect(dryRun.isDisabled()).resolves.toBe(true);
    await page.getByText('Forced on by the command line (--dry-run)').waitFor();
    await page.locator('#banner[data-mode="dry-run"]').waitFor();
    await expect(page.locator('#banner').textContent()).resolves.toContain('--dry-run');
    await page.getByLabel('Allow kill as the last resort').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved.').first().waitFor();
    expect((await d.client.call('status', {})).allowKill).toBe(false);
    // The forced value is what runs, not what was saved for the next start.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(d.dbPath, { readonly: true });
    try {
      const row = db.prepare("SELECT value FROM settings WHERE key = 'agent.settings'").get() as { value: string };
      expect(JSON.parse(row.value)).toMatchObject({ dryRun: false, allowKill: false });
    } finally {
      db.close();
    }
  });
});
