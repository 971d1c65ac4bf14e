// zswap in front of a swap file the lab creates: the compressed tier where there is no zram
// (or where asked for), set up and put back exactly — swap off, file removed, every zswap
// parameter as it was — with a journal in /run so a killed run is repaired by the next.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readZswapParameters } from '../../host/linux/compressed-tier';
import { ownerAlive, readJournal, swapOff } from './zram-swap';

export const ZSWAP_PARAMS = '/sys/module/zswap/parameters';
/** Written before anything changes, removed after the restore (as zram-swap's ZRAM_JOURNAL; /run is emptied at boot, as zswap's parameters and swap are). */
export const ZSWAP_JOURNAL = '/run/reclaimd-zswap.json';
/**
 * The lab's compressor: lzo-rle, zram's default since Linux 5.1 and what the lab's zram0 uses
 * here, so a zswap run and a zram run compress alike (zswap's own default is often lzo).
 */
export const LAB_ZSWAP_COMPRESSOR = 'lzo-rle';
/**
 * The swap file's priority: the highest, so the lab's pages go to its file (through zswap)
 * even where the machine has its own swap on — the lab measures the tier it set up.
 */
const LAB_SWAP_PRIORITY = 32767;
/** Not tmpfs: a swap file must be on a disk filesystem. Named after the pid (see test/helpers/machine-state). */
const SWAP_DIR = '/var/tmp';

interface Journal {
  ownerPid: number;
  /** The folder the swap file is in (removed with it). */
  dir: string;
  file: string;
  before: Record<string, string>;
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: Buffer; message: string };
  return (e.stderr?.toString().trim() || e.message).split('\n')[0];
}

/**
 * zswap's parameters back to `before`, enabled last: a compressor or pool limit written while
 * zswap is off takes effect with the next pool, so nothing runs with a half-restored set.
 */
export function setZswapParameters(before: Record<string, string>): void {
  const now = readZswapParameters(ZSWAP_PARAMS) ?? {};
  const names = Object.keys(before).sort((a, b) => Number(a === 'enabled') - Number(b === 'enabled'));
  for (const name of names) if (now[name] !== before[name]) writeFileSync(`${ZSWAP_PARAMS}/${name}`, before[name]);
}

/** Swap off for the lab's swap file (retried: see swapOff), then the file and its folder gone. */
export function removeSwapFile(file: string, dir: string): void {
  swapOff(file);
  rmSync(dir, { recursive: true, force: true });
}

function restoreFrom(j: Journal): void {
  removeSwapFile(j.file, j.dir);
  setZswapParameters(j.before);
}

/** The pid of the process whose zswap setup is journaled, or null. */
export function zswapOwner(): number | null {
  try {
    return (JSON.parse(readFileSync(ZSWAP_JOURNAL, 'utf8')) as Journal).ownerPid;
  } catch {
    return null;
  }
}

/** Put back what the journal's process changed, whoever it was (the test guard's repair of its own run). */
export function restoreJournaledZswap(): void {
  restoreFrom(JSON.parse(readFileSync(ZSWAP_JOURNAL, 'utf8')) as Journal);
  rmSync(ZSWAP_JOURNAL, { force: true });
}

/**
 * A journal left by a process that died between setting zswap up and restoring it: swap file
 * off and removed, parameters back. Returns what was done, for the caller to say.
 */
export function recoverStaleZswap(): string | null {
  const found = readJournal<Journal>(ZSWAP_JOURNAL);
  if (!found) return null;
  if ('ignored' in found) return found.ignored;
  const { journal } = found;
  if (journal.ownerPid === process.pid || ownerAlive(journal.ownerPid)) return null;
  restoreFrom(journal);
  rmSync(ZSWAP_JOURNAL, { force: true });
  return `restored zswap as it was before pid ${journal.ownerPid}, which died without restoring it (swap file ${journal.file} off and removed, enabled ${journal.before.enabled}, compressor ${journal.before.compressor})`;
}

/**
 * zswap (with `compressor`) in front of a new swap file of `sizeBytes` in /var/tmp, and back
 * to exactly how it was — file off and removed, parameters as found — by the returned
 * function, or by the next call if this process dies first. Returns a reason when it cannot.
 */
export function zswapSwap(sizeBytes: number, onNote: (note: string) => void = () => undefined, compressor = LAB_ZSWAP_COMPRESSOR): (() => void) | string {
  if (readZswapParameters(ZSWAP_PARAMS) === null) return `no zswap in this kernel (${ZSWAP_PARAMS} missing: CONFIG_ZSWAP off)`;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1024 * 1024) return `swap file size: expected at least 1 MiB, got ${sizeBytes}`;
  try {
    const note = recoverStaleZswap();
    if (note) onNote(note);
  } catch (err) {
    return `zswap was left changed by a process that died, and cannot be restored: ${firstLine(err)}`;
  }
  const owner = zswapOwner();
  if (owner !== null) return owner === process.pid ? 'zswap is already set up by this process; nested zswapSwap() calls are not supported' : `zswap is in use by pid ${owner} (a lab or test run); run one at a time`;
  const state = readZswapParameters(ZSWAP_PARAMS)!; // after a repair, the machine's own
  const dir = mkdtempSync(join(SWAP_DIR, `reclaimd-zswap-${process.pid}-`));
  const file = join(dir, 'swapfile');
  writeFileSync(ZSWAP_JOURNAL, JSON.stringify({ ownerPid: process.pid, dir, file, before: state } satisfies Journal));
  const restore = () => {
    restoreFrom({ ownerPid: process.pid, dir, file, before: state });
    rmSync(ZSWAP_JOURNAL, { force: true });
  };
  try {
    // fallocate, not a sparse file: swapon refuses files with holes.
    run('fallocate', ['-l', String(sizeBytes), file]);
    run('chmod', ['600', file]);
    run('mkswap', [file]);
    run('swapon', ['-p', String(LAB_SWAP_PRIORITY), file]);
    setZswapParameters({ ...state, compressor, enabled: 'Y' });
  } catch (err) {
    try {
      restore();
    } catch {
      /* the journal stays: the next call restores */
    }
    return `cannot set up zswap in front of a swap file: ${firstLine(err)}`;
  }
  return restore;
}
