import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

/** Why a real-kernel test cannot run here, or null. Printed by the test that skips. */
export function kernelTestsUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (process_madvise on other processes, cgroups and swap need it)';
  if (!existsSync('/proc/pressure/memory')) return 'no PSI (/proc/pressure/memory)';
  return null;
}

export function skipNote(what: string, reason: string): void {
  process.stdout.write(`SKIP ${what}: ${reason}\n`);
}

/**
 * zram swap for anon reclaim: set up zram0 when no swap is active, and undo exactly that.
 * Returns the undo function, or a reason string when it cannot.
 */
export function ensureZramSwap(size = '1G'): (() => void) | string {
  const active = readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
  if (active) return () => undefined;
  if (!existsSync('/sys/block/zram0')) {
    try {
      execFileSync('modprobe', ['zram'], { stdio: 'pipe' });
    } catch {
      return 'no zram0 device and no zram module';
    }
  }
  try {
    writeFileSync('/sys/block/zram0/disksize', size);
    execFileSync('mkswap', ['/dev/zram0'], { stdio: 'pipe' });
    execFileSync('swapon', ['/dev/zram0'], { stdio: 'pipe' });
  } catch (err) {
    return `cannot set up zram swap: ${(err as Error).message.split('\n')[0]}`;
  }
  return () => {
    try {
      execFileSync('swapoff', ['/dev/zram0'], { stdio: 'pipe' });
    } finally {
      writeFileSync('/sys/block/zram0/reset', '1');
    }
  };
}

/** A memcg v1 child with a memory limit; remove() kills what is left in it and deletes it. */
export class Memcg {
  readonly path: string;
  constructor(name: string, limitBytes: number) {
    this.path = `/sys/fs/cgroup/memory/${name}`;
    mkdirSync(this.path);
    writeFileSync(`${this.path}/memory.limit_in_bytes`, String(limitBytes));
  }

  /** argv prefix that runs a command inside this cgroup. */
  wrap(): string[] {
    return ['sh', '-c', `echo $$ > ${this.path}/cgroup.procs && exec "$@"`, 'sh'];
  }

  remove(): void {
    for (let i = 0; i < 50 && existsSync(this.path); i++) {
      const pids = readFileSync(`${this.path}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        rmdirSync(this.path);
      } catch {
        execFileSync('sleep', ['0.1']);
      }
    }
  }
}
