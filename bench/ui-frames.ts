// Frame times of the Apps page with 1,000 processes streaming ten times a second, in Debian's
// Chromium against the real `reclaimd serve`. A frame's time is the main thread's work for
// it: from the frame's first requestAnimationFrame callback to the first task after its
// rendering (style, layout, paint). The baseline is the same page with the same 1,000 rows
// and no updates, measured in the same browser.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openDatabase } from '../db/open';
import { fillDecisionLog } from './decision-fill';
import { generateCrowdScenario } from '../scenario/generate';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CLI = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
const MEASURE_MS = 10_000;

interface FrameStats {
  frames: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Frames that took longer than 1.5 display intervals to come. */
  dropped: number;
  updates: number;
  renderP95: number;
  /** Rows in the DOM, and the page's "N of M processes" (or "N+ decisions"). */
  rows: number;
  count: string;
  scrolledTo: number;
}

/** The in-page probe (bench/ui-frame-probe.js), evaluated as written. */
async function measure(page: Page, ms: number, scroll?: { selector: string; step: number }): Promise<FrameStats> {
  const probe = readFileSync(join(__dirname, '..', '..', 'bench', 'ui-frame-probe.js'), 'utf8').replace(/^\/\/.*\n/gm, '');
  return page.evaluate(`(${probe.trim()})(${ms}, ${JSON.stringify(scroll ?? null)})`) as Promise<FrameStats>;
}

/**
 * The History page on a decision log of 1,000,000 rows, flung through at 20 rows a frame:
 * pages of 500 arrive by keyset as the list nears its end. Baseline: the same page, still.
 */
async function historyAtAMillion(browser: Browser, dir: string): Promise<void> {
  const file = join(dir, 'million.db');
  const db = openDatabase(file);
  const total = 1_000_000;
  // Recent enough that the daemon's retention (30 days) keeps them all.
  fillDecisionLog(db, total, Date.now() - total * 1000);
  db.close();
  const daemon = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--db', file, '--scenario', 'quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await daemonUrl(daemon);
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${url}#history`);
    await page.locator('.history-table .vrow:not([hidden])').nth(10).waitFor();
    await page.waitForTimeout(1500);
    const still = await measure(page, 5000);
    const fling = await measure(page, MEASURE_MS, { selector: '.history-table .vbody', step: 600 });
    const fmt = (s: FrameStats) => `${s.frames} frames, work p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; ${s.dropped} late frames`;
    console.log(`history frames: ${total.toLocaleString('en')} decisions in the log, ${MEASURE_MS / 1000} s of scrolling at 20 rows a frame`);
    console.log(`  baseline (still):            ${fmt(still)}`);
    console.log(`  scrolling:                   ${fmt(fling)}; reached row ${Math.round(fling.scrolledTo / 30).toLocaleString('en')}, loaded ${fling.count}`);
    console.log(`  p95 frame work: ${fling.p95.toFixed(1)} ms (goal < 16 ms)`);
    if (fling.p95 >= 16) process.exitCode = 1;
  } finally {
    daemon.kill('SIGTERM');
  }
}

function daemonUrl(daemon: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: daemon.stdout! }).on('line', (l) => {
      const m = /^reclaimd: UI at (\S+)$/.exec(l);
      if (m) resolve(m[1]);
    });
    daemon.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaimd-frames-'));
  const scenario = join(dir, 'crowd.json');
  writeFileSync(scenario, JSON.stringify(generateCrowdScenario({ apps: 1000, durationMs: 600_000, seed: 1 })));
  const daemon = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--no-db', '--scenario', scenario], { stdio: ['ignore', 'pipe', 'inherit'] });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const url = await daemonUrl(daemon);
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const run = async (rate: number) => {
      await page.goto(`${url}#apps?rate=${rate}`);
      await page.locator('.apps-table .vrow:not([hidden])').nth(20).waitFor();
      await page.waitForTimeout(1500); // settle: first paints, JIT
      return measure(page, MEASURE_MS);
    };
    const idle = await run(0);
    const streaming = await run(100);
    const fmt = (s: FrameStats) =>
      `${s.frames} frames, work p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; ${s.dropped} late frames; ${s.updates} updates`;
    console.log(`ui frames: Apps page, ${streaming.count} (${streaming.rows} rows in the DOM), ${MEASURE_MS / 1000} s each, Chromium ${browser.version()}`);
    console.log(`  baseline (no updates):       ${fmt(idle)}`);
    console.log(`  streaming (10 updates/s):    ${fmt(streaming)}; the table's render of an update p95 ${streaming.renderP95.toFixed(2)} ms`);
    console.log(`  p95 frame work: ${streaming.p95.toFixed(1)} ms (goal < 16 ms), ${(streaming.p95 / Math.max(0.1, idle.p95)).toFixed(2)}× the baseline; updates received ${(streaming.updates / (MEASURE_MS / 1000)).toFixed(1)}/s`);
    if (streaming.p95 >= 16) process.exitCode = 1;
    await historyAtAMillion(browser, dir);
  } finally {
    await browser.close();
    daemon.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
