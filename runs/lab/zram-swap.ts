import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseSwaps } from '../../host/linux/compressed-tier';

const DEV = '/dev/zram0';
const SYS = '/sys/block/zram0';
/**
 * What zram0 was before we changed it, written BEFORE the change and removed after the
 * restore. A process killed in between (SIGKILL, a CI time limit, a stopped session) leaves
 * it behind, and the next zramSwap() puts zram0 back from it. /run is emptied at boot, as
 * zram0 is: a journal never outlives the state it describes.
 */
export const ZRAM_JOURNAL = '/run/reclaimd-zram0.json';

/** One active swap device as /proc/swaps lists it, without its Used column (it moves by itself). */
export interface SwapDevice {
  name: string;
  type: string;
  sizeKiB: number;
  priority: number;
}

export function swapDevices(): SwapDevice[] {
  return parseSwaps(readFileSync('/proc/swaps', 'utf8')).map(({ name, type, sizeKiB, priority }) => ({ name, type, sizeKiB, priority }));
}

/** zram0's configuration: what a test may change and must put back. */
export interface ZramState {
  swap: { priority: number } | null;
  disksize: number;
  /** The selected algorithm (the bracketed one in comp_algorithm). */
  algorithm: string;
}

export function readZram(): ZramState | null {
  if (!existsSync(SYS)) return null;
  const algorithms = readFileSync(`${SYS}/comp_algorithm`, 'utf8');
  const dev = swapDevices().find((s) => s.name === DEV);
  return {
    swap: dev ? { priority: dev.priority } : null,
    disksize: Number(readFileSync(`${SYS}/disksize`, 'utf8').trim()),
    algorithm: /\[(\S+)\]/.exec(algorithms)?.[1] ?? algorithms.trim(),
  };
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

interface Journal {
  ownerPid: number;
  before: ZramState;
}

/** Whether a journal's owner is another process still alive (then its setup is not stale). */
export function ownerAlive(pid: number): boolean {
  return pid !== process.pid && existsSync(`/proc/${pid}`);
}

/**
 * A setup journal left in `path`, if any: the parsed journal, or why it was ignored (unreadable).
 * The caller decides whether its owner is gone (ownerAlive) and restores from it.
 */
export function readJournal<T extends { ownerPid: number }>(path: string): { journal: T } | { ignored: string } | null {
  if (!existsSync(path)) return null;
  try {
    return { journal: JSON.parse(readFileSync(path, 'utf8')) as T };
  } catch (err) {
    return { ignored: `ignored an unreadable ${path} (${(err as Error).message})` };
  }
}

/**
 * Swap off for `device` if it is on. swapoff can fail transiently (ENOMEM while pages are
 * charged to a dying memcg): retried before giving up, because a failed swapoff is exactly
 * what leaves swap on for good. Used for zram0 and the lab's zswap swap file alike.
 */
export function swapOff(device: string): void {
  if (!swapDevices().some((s) => s.name === device)) return;
  let lastError: unknown = null;
  for (let i = 0; i < 5; i++) {
    try {
      run('swapoff', [device]);
      return;
    } catch (err) {
      lastError = err;
      execFileSync('sleep', ['0.5']);
    }
  }
  const e = lastError as { stderr?: Buffer; message: string };
  throw new Error(`cannot turn swap off on ${device}: ${(e.stderr?.toString().trim() || e.message).split('\n')[0]}`);
}

/**
 * Put zram0 back to `state`: swap off, reset, then its algorithm, size and swap (with the
 * old priority when it was a chosen one; the kernel numbers automatic ones itself).
 */
export function setZram(state: ZramState): void {
  swapOff(DEV);
  writeFileSync(`${SYS}/reset`, '1');
  if (readZram()!.algorithm !== state.algorithm) writeFileSync(`${SYS}/comp_algorithm`, state.algorithm);
  if (state.disksize > 0) writeFileSync(`${SYS}/disksize`, String(state.disksize));
  if (state.swap) {
    run('mkswap', [DEV]);
    run('swapon', state.swap.priority >= 0 ? ['-p', String(state.swap.priority), DEV] : [DEV]);
  }
}

/**
 * A journal left by a process that died between changing zram0 and restoring it: put zram0
 * back as that process found it. Returns what was done, for the caller to say.
 */
export function recoverStaleZram(): string | null {
  const found = readJournal<Journal>(ZRAM_JOURNAL);
  if (!found) return null;
  if ('ignored' in found) return found.ignored;
  const { journal } = found;
  if (ownerAlive(journal.ownerPid)) return null;
  setZram(journal.before);
  rmSync(ZRAM_JOURNAL, { force: true });
  return `restored zram0 as it was before pid ${journal.ownerPid}, which died without restoring it (swap ${journal.before.swap ? 'on' : 'off'}, disksize ${journal.before.disksize})`;
}

/** Whether this machine has zram0, loading the zram module if needed (the lab's zswap fallback is for where it cannot). */
export function zramPresent(): boolean {
  if (existsSync(SYS)) return true;
  try {
    run('modprobe', ['zram']);
  } catch {
    return false;
  }
  return existsSync(SYS);
}

/**
 * zram0 as swap of a given size (null: any active swap will do), and back to exactly how
 * it was — off, or on with its old size, algorithm and priority — by the returned function,
 * or by the next call if this process dies first. Returns a reason when it cannot.
 */
export function zramSwap(sizeBytes: number | null, onNote: (note: string) => void = () => undefined): (() => void) | string {
  if (!zramPresent()) return 'no zram0 device and no zram module';
  try {
    const note = recoverStaleZram();
    if (note) onNote(note);
  } catch (err) {
    return `zram0 was left changed by a process that died, and cannot be restored: ${(err as Error).message.split('\n')[0]}`;
  }
  if (existsSync(ZRAM_JOURNAL)) {
    const owner = (JSON.parse(readFileSync(ZRAM_JOURNAL, 'utf8')) as Journal).ownerPid;
    if (owner !== process.pid) return `zram0 is in use by pid ${owner} (a lab or test run); run one at a time`;
    return 'zram0 is already set up by this process; nested zramSwap() calls are not supported';
  }
  const before = readZram()!;
  if (sizeBytes === null) {
    if (before.swap || swapDevices().length > 0) return () => undefined; // any swap will do
    sizeBytes = 1024 ** 3;
  } else if (before.swap && before.disksize === sizeBytes) return () => undefined;
  writeFileSync(ZRAM_JOURNAL, JSON.stringify({ ownerPid: process.pid, before } satisfies Journal));
  const restore = () => {
    setZram(before);
    rmSync(ZRAM_JOURNAL, { force: true });
  };
  try {
    setZram({ swap: { priority: -1 }, disksize: sizeBytes, algorithm: before.algorithm });
  } catch (err) {
    try {
      restore();
    } catch {
      /* the journal stays: the next call restores */
    }
    return `cannot set up zram swap: ${(err as Error).message.split('\n')[0]}`;
  }
  return restore;
}
