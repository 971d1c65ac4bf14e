// The machine state the tests may change and must leave as they found it — one definition
// for the lab test, the per-file check and the suite-wide guard. Only what a test changes is
// compared: never counters that move by themselves (the Used column of /proc/swaps, memcg
// usage), or a machine that swaps for its own reasons would fail the suite.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeMemcg } from '../../runs/lab/memcg';
import { readZram, setZram, swapDevices, ZRAM_JOURNAL, type SwapDevice, type ZramState } from '../../runs/lab/zram-swap';
import { removeSwapFile, restoreJournaledZswap, ZSWAP_PARAMS, zswapOwner } from '../../runs/lab/zswap-swap';
import { readZswapParameters } from '../../host/linux/compressed-tier';

const MEMCG_ROOT = '/sys/fs/cgroup/memory';
/** Set by the suite's globalSetup and inherited by everything a test starts: the run's own processes. */
export const RUN_MARKER = 'RECLAIMD_TEST_RUN';
/** The run's own temporary folder, which globalSetup makes TMPDIR. */
export const RUN_TMPDIR = 'RECLAIMD_TEST_TMPDIR';
/** Workloads the kernel tests and the lab start, by name, whoever started them. */
const WORKLOAD = /(^|\/)(lab-worker|memhog)(\s|$)/;
/** Where the lab and the memhogs keep files (not tmpfs: real page cache); the rest use tmpdir(). */
const VAR_TMP = '/var/tmp';

export interface MachineState {
  swaps: SwapDevice[];
  zram: ZramState | null;
  /** zram0 is being changed by a live process of another run (its journal): not ours to judge. */
  zramInUseElsewhere: boolean;
  /** Every zswap parameter as found (null: no zswap), and whether another run's live process has it set up (its journal). */
  zswap: Record<string, string> | null;
  zswapInUseElsewhere: boolean;
  /** Child memcgs of the v1 memory root. */
  memcgs: string[];
  /** Workload processes, and processes of this test run other than jest itself: "pid cmdline". */
  processes: string[];
  /** Entries of the run's tmpdir() (reclaimd-* ones outside a run), and reclaimd-* in /var/tmp. */
  tempFiles: string[];
}

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return ''; // gone, or a zombie (already dead, only not reaped)
  }
}

function inThisRun(pid: string, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${RUN_MARKER}=${marker}`);
  } catch {
    return false;
  }
}

/**
 * Whether what a process made belongs to this run: outside a run everything does; inside, the
 * process carries the run's marker, or is gone (its leftovers are nobody else's). A name
 * without a pid cannot be told apart from another checkout's run working on this machine at
 * the same time, so inside a run it is left alone.
 */
function ownedByThisRun(pid: number | null): boolean {
  const marker = process.env[RUN_MARKER];
  if (marker === undefined) return true;
  if (pid === null) return false;
  if (String(pid) === marker || pid === process.pid) return true;
  if (!existsSync(`/proc/${pid}`)) return true;
  return inThisRun(String(pid), marker);
}

/** The pid a reclaimd-<kind>-<pid>[-…] name (a memcg, a /var/tmp folder) was made by. */
function ownerOfName(name: string): number | null {
  const m = /^reclaimd-[a-z]+-(\d+)(-|$)/.exec(name);
  return m ? Number(m[1]) : null;
}

function testProcesses(): string[] {
  const marker = process.env[RUN_MARKER];
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    const cmd = cmdline(pid);
    if (!cmd) continue;
    // Inside a run, its own processes (jest's workers are jest, not a test's leftovers);
    // outside one, the workloads by name.
    const ours = marker === undefined ? WORKLOAD.test(cmd) : inThisRun(pid, marker) && !/jest-worker|processChild/.test(cmd);
    if (ours) out.push(`${pid} ${cmd}`);
  }
  return out.sort();
}

function entries(dir: string, onlyOurs: boolean): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => !onlyOurs || (n.startsWith('reclaimd-') && n !== 'reclaimd-kernel.lock' && ownedByThisRun(ownerOfName(n))))
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/**
 * What a browser started by the tests would leave in the home folder (Chromium's crash
 * reporter database, dconf's cache): globalSetup points XDG_CONFIG_HOME and XDG_CACHE_HOME
 * into the run's folder, and these say if anything still writes here.
 */
const HOME_LEFTOVERS = ['.config/chromium', '.cache/dconf', '.pki'].map((p) => join(homedir(), p));

/** In a suite run tmpdir() is the run's own folder (globalSetup): everything in it is the tests'. */
function tempFiles(): string[] {
  const runDir = process.env[RUN_TMPDIR];
  const own = runDir !== undefined && tmpdir() === runDir;
  return [...new Set([...entries(tmpdir(), !own), ...entries(VAR_TMP, true), ...HOME_LEFTOVERS.filter((p) => existsSync(p))])].sort();
}

function zramOwner(): number | null {
  try {
    return (JSON.parse(readFileSync(ZRAM_JOURNAL, 'utf8')) as { ownerPid: number }).ownerPid;
  } catch {
    return null;
  }
}

export function readMachineState(): MachineState {
  const owner = zramOwner();
  const zswap = zswapOwner();
  return {
    swaps: swapDevices(),
    zram: readZram(),
    zramInUseElsewhere: owner !== null && !ownedByThisRun(owner),
    zswap: readZswapParameters(ZSWAP_PARAMS),
    zswapInUseElsewhere: zswap !== null && !ownedByThisRun(zswap),
    memcgs: existsSync(MEMCG_ROOT)
      ? readdirSync(MEMCG_ROOT, { withFileTypes: true })
          .filter((e) => e.isDirectory() && ownedByThisRun(ownerOfName(e.name)))
          .map((e) => e.name)
          .sort()
      : [],
    processes: testProcesses(),
    tempFiles: tempFiles(),
  };
}

const swapText = (s: SwapDevice) => `${s.name} (${s.type}, ${s.sizeKiB} KiB, priority ${s.priority})`;

/** What differs, one line each, naming the thing ("" when nothing): for a failure message. */
export function describeChanges(before: MachineState, after: MachineState): string[] {
  const out: string[] = [];
  const foreignZram = before.zramInUseElsewhere || after.zramInUseElsewhere;
  const added = <T>(a: T[], b: T[], key: (x: T) => string) => b.filter((x) => !a.some((y) => key(y) === key(x)));
  const foreignZswap = before.zswapInUseElsewhere || after.zswapInUseElsewhere;
  // Another run's zram0, or its zswap swap file (a reclaimd-zswap-* file), is that run's to put back.
  const swaps = (x: MachineState) => x.swaps.filter((s) => !(foreignZram && s.name === '/dev/zram0') && !(foreignZswap && /\/reclaimd-zswap-/.test(s.name)));
  for (const s of added(swaps(before), swaps(after), swapText)) out.push(`swap left on: ${swapText(s)}`);
  for (const s of added(swaps(after), swaps(before), swapText)) out.push(`swap gone: ${swapText(s)}`);
  if (!foreignZram && JSON.stringify(before.zram) !== JSON.stringify(after.zram)) out.push(`zram0 changed: ${JSON.stringify(before.zram)} → ${JSON.stringify(after.zram)}`);
  if (!foreignZswap && JSON.stringify(before.zswap) !== JSON.stringify(after.zswap)) out.push(`zswap changed: ${JSON.stringify(before.zswap)} → ${JSON.stringify(after.zswap)}`);
  for (const m of added(before.memcgs, after.memcgs, String)) out.push(`memcg left behind: ${MEMCG_ROOT}/${m}`);
  for (const m of added(after.memcgs, before.memcgs, String)) out.push(`memcg removed: ${MEMCG_ROOT}/${m}`);
  for (const p of added(before.processes, after.processes, String)) out.push(`process left running: ${p}`);
  for (const f of added(before.tempFiles, after.tempFiles, String)) out.push(`temp file left behind: ${f}`);
  return out;
}

/**
 * Put back what the tests changed since `before`: kill leftover processes, remove leftover
 * reclaimd memcgs and temp files, and zram0 as it was. Returns what it could not undo.
 */
export function restoreMachineState(before: MachineState): string[] {
  const failures: string[] = [];
  const now = readMachineState();
  for (const p of now.processes.filter((x) => !before.processes.includes(x))) {
    try {
      process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  for (const m of now.memcgs.filter((x) => !before.memcgs.includes(x) && x.startsWith('reclaimd-'))) removeMemcg(`${MEMCG_ROOT}/${m}`);
  if (!now.zramInUseElsewhere && !before.zramInUseElsewhere && JSON.stringify(now.zram) !== JSON.stringify(before.zram) && before.zram) {
    // Only a change this run journaled (runs/lab/zram-swap) is put back: one without a journal
    // was made by something else (another checkout's older code, an admin), whose swap must
    // not be turned off under it. It is still named, so it fails the run.
    const owner = zramOwner();
    if (owner === null) failures.push('zram0 was changed without a journal (not by this run\'s zramSwap): left as it is');
    else {
      try {
        setZram(before.zram);
        rmSync(ZRAM_JOURNAL, { force: true });
      } catch (err) {
        failures.push(`zram0: ${(err as Error).message}`);
      }
    }
  }
  if (!now.zswapInUseElsewhere && !before.zswapInUseElsewhere && zswapOwner() !== null) {
    // This run's zswap setup (runs/lab/zswap-swap), journaled: swap file off and gone, parameters back.
    try {
      restoreJournaledZswap();
    } catch (err) {
      failures.push(`zswap: ${(err as Error).message}`);
    }
  } else if (!now.zswapInUseElsewhere && JSON.stringify(now.zswap) !== JSON.stringify(before.zswap)) {
    failures.push('zswap parameters were changed without a journal (not by this run\'s zswapSwap): left as they are');
  }
  const newFolders = now.tempFiles.filter((x) => !before.tempFiles.includes(x));
  // A swap file still on in a folder about to be removed: off first (an unlinked swap file stays swap until swapoff).
  for (const s of swapDevices().filter((x) => x.type === 'file' && !before.swaps.some((b) => b.name === x.name))) {
    const folder = newFolders.find((f) => s.name.startsWith(f + '/'));
    if (!folder) continue;
    try {
      removeSwapFile(s.name, folder);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]);
  for (const f of now.tempFiles.filter((x) => !before.tempFiles.includes(x))) {
    for (const m of mounts.filter((x) => x && (x === f || x.startsWith(f + '/')))) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'pipe' });
      } catch (err) {
        failures.push(`umount ${m}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    rmSync(f, { recursive: true, force: true });
  }
  const left = describeChanges(before, readMachineState()).filter((l) => !l.startsWith('process left running')); // SIGKILLed: dying
  return [...failures, ...left];
}

/** The state after processes that were just killed have had time to go (≤ ~2 s). */
export async function settledMachineState(before: MachineState): Promise<MachineState> {
  let state = readMachineState();
  for (let i = 0; i < 20 && describeChanges(before, state).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = readMachineState();
  }
  return state;
}
