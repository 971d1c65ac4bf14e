import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const DEV = '/dev/zram0';
const SYS = '/sys/block/zram0';

function active(): boolean {
  return readFileSync('/proc/swaps', 'utf8').split('\n').some((l) => l.startsWith(DEV + ' '));
}

function otherSwapActive(): boolean {
  return readFileSync('/proc/swaps', 'utf8').trim().split('\n').slice(1).some((l) => !l.startsWith(DEV + ' '));
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

/**
 * zram0 as swap of a given size, and back to exactly how it was: off, or on with its old
 * size. Returns the restore function, or a reason it cannot.
 */
export function zramSwap(sizeBytes: number | null): (() => void) | string {
  if (!existsSync(SYS)) {
    try {
      run('modprobe', ['zram']);
    } catch {
      return 'no zram0 device and no zram module';
    }
  }
  const wasActive = active();
  const oldSize = Number(readFileSync(`${SYS}/disksize`, 'utf8').trim());
  if (sizeBytes === null) {
    if (wasActive || otherSwapActive()) return () => undefined; // any swap will do
    sizeBytes = 1024 ** 3;
  } else if (wasActive && oldSize === sizeBytes) return () => undefined;
  const configure = (bytes: number) => {
    writeFileSync(`${SYS}/disksize`, String(bytes));
    run('mkswap', [DEV]);
    run('swapon', [DEV]);
  };
  try {
    if (wasActive) run('swapoff', [DEV]);
    writeFileSync(`${SYS}/reset`, '1');
    configure(sizeBytes);
  } catch (err) {
    return `cannot set up zram swap: ${(err as Error).message.split('\n')[0]}`;
  }
  return () => {
    try {
      if (active()) run('swapoff', [DEV]);
    } finally {
      writeFileSync(`${SYS}/reset`, '1');
      if (wasActive) configure(oldSize);
    }
  };
}
