// `npm start` without the Electron binary (as on these machines): one line says so, and the
// same UI is served for a browser with live data from the simulated device.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DaemonClient, parseUiUrl } from '../main/client/daemon-client';

const root = join(__dirname, '..');

function electronInstalled(): boolean {
  try {
    const bin = require('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin);
  } catch {
    return false;
  }
}

const maybe = electronInstalled() ? test.skip : test;
if (electronInstalled()) console.log('skipped: the Electron binary is installed here, so npm start opens the desktop window instead');

maybe('npm start says Electron is missing in one line and serves the UI with live sim data', async () => {
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.js'), '--port', '0', '--no-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL in 30 s: ${lines.join('\n')}`)), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        const m = /^reclaimd: UI at (\S+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${lines.join('\n')}`)));
    });
    expect(lines[0]).toMatch(/^reclaimd: the Electron binary is not installed .*browser/);
    expect(lines).toHaveLength(2);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('js/app.js');
    const client = new DaemonClient(parseUiUrl(url));
    const status = await client.call('status', {});
    expect(status).toMatchObject({ host: 'sim', mode: 'active', policy: 'reclaim' });
    const first = await client.call('processes', {});
    expect(first.processes.length).toBeGreaterThan(0);
    // Live: the simulated device plays in real time.
    const samples = await new Promise<number>((resolve) => setTimeout(async () => resolve((await client.call('pressure.recent', {})).length), 2500));
    expect(samples).toBeGreaterThanOrEqual(2);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
  expect(child.exitCode).toBe(0);
});
