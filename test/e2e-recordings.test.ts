// End to end: a recording in the History page, one click to the Replay page with it loaded,
// the policies chosen, and the result with its "recorded" column — the real UI in Debian's
// Chromium against the real `reclaimd serve`, on a real SQLite file holding a recording.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import { openDatabase } from '../db/open';
import { psiDetectorFor } from '../policy-engine/detectors/psi-detector';
import { SimHost } from '../host/sim/sim-host';
import { Recorder } from '../main/daemon/recorder';
import { rawScenario, scenarioFrom } from './helpers/scenarios';
import { useUiSession } from './helpers/ui-session';

const dir = mkdtempSync(join(tmpdir(), 'reclaimd-e2e-rec-'));
const dbFile = join(dir, 'recorded.db');

describe('recordings in the UI', () => {
  // Before the daemon starts (beforeAll hooks run in order): a recording to list. The live
  // agent records only on the linux host; the recorder itself records any host, here the simulator.
  beforeAll(async () => {
    const db = openDatabase(dbFile);
    const sim = new SimHost(scenarioFrom(rawScenario()), asyncScheduler, { loop: false });
    sim.start();
    const recorder = Recorder.start({ db, host: sim, detector: psiDetectorFor(sim.scenario.device), scope: null, device: { memTotalBytes: 2 * 1024 ** 3, memcgLimitBytes: null, zram: null, watermarks: null, cores: 2, kernel: 'e2e' }, settings: { policy: 'lmkd', params: {}, dryRun: false, allowKill: true } });
    await new Promise((r) => setTimeout(r, 2500));
    recorder.stop();
    sim.stop();
    db.close();
  });
  const ui = useUiSession(['--scenario', 'demo', '--db', dbFile], { viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('History lists the recording; one click opens it on the Replay page; the result shows the recorded column', async () => {
    const { page } = ui;
    await ui.open('history');
    const recordings = page.getByRole('table', { name: 'Recordings' });
    await recordings.waitFor();
    await expect(recordings.locator('tbody tr').first().locator('td').allTextContents()).resolves.toEqual(expect.arrayContaining(['1', 'sim', 'lmkd', 'Replay…']));
    await page.getByRole('link', { name: 'Replay recording 1 under chosen policies' }).click();
    await page.waitForSelector('.tabs a[data-page="replay"][aria-selected="true"]');
    await page.locator('.recording-loaded').waitFor();
    await expect(page.locator('.recording-loaded').textContent()).resolves.toBe('Recording #1 loaded as "recording-1": the live agent ran lmkd. Choose the policies and Run.');
    await expect(page.locator('input[name="source"][value="file"]').isChecked()).resolves.toBe(true);
    // Choose the policies: the one that ran live and the default.
    await page.locator('input[name="policy"][value="android"]').waitFor();
    for (const p of ['android', 'none']) await page.locator(`input[name="policy"][value="${p}"]`).uncheck();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const table = page.getByRole('table', { name: 'Metrics by policy' });
    await table.waitFor();
    await expect(table.locator('thead th').allTextContents()).resolves.toEqual(['metric', 'reclaim', 'lmkd', 'recorded']);
    // The recording's own metrics, and a dash where a recording has none.
    const cell = async (label: string) => table.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) }).locator('td').nth(2).textContent();
    await expect(cell('agent kills')).resolves.toBe('0');
    await expect(cell('decisions')).resolves.toBe('0');
    await expect(cell('anon refaults')).resolves.toBe('–');
    await expect(page.locator('.recorded-note').textContent()).resolves.toContain('the live agent ran lmkd');
    await page.screenshot({ path: join(ui.shots, 'replay-recording.png'), fullPage: true });
  });

  test('Settings: recording cannot be turned on where the agent does not run on this machine', async () => {
    const { page } = ui;
    await ui.open('settings');
    const record = page.locator('input[name="record"]');
    await record.waitFor();
    await expect(record.isDisabled()).resolves.toBe(true);
    // And the API refuses it, naming the field.
    await expect(ui.d.client.call('settings.set', { record: true })).rejects.toMatchObject({ status: 409, field: 'params.record' });
  });
});
