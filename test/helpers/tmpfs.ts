import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small real tmpfs mount (root only), to make a full or read-only filesystem for real. */
export class Tmpfs {
  readonly dir: string;
  private mounted = false;

  private constructor(sizeKiB: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'reclaimd-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', this.dir], { stdio: 'pipe' });
    this.mounted = true;
  }

  /** Mounts one, or returns the reason it cannot (the caller skips with that reason printed). */
  static create(sizeKiB: number): Tmpfs | string {
    try {
      return new Tmpfs(sizeKiB);
    } catch (err) {
      return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); needs root`;
    }
  }

  /** Fill the filesystem to the last byte; returns the filler file to delete to make room. */
  fill(): string {
    const filler = join(this.dir, 'filler');
    writeFileSync(filler, '');
    let size = 64 * 1024;
    for (;;) {
      try {
        writeFileSync(filler, Buffer.alloc(size), { flag: 'a' });
      } catch {
        if (size === 1) return filler;
        size = Math.max(1, size >> 1);
      }
    }
  }

  readOnly(on: boolean): void {
    execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, this.dir], { stdio: 'pipe' });
  }

  dispose(): void {
    if (this.mounted) {
      try {
        execFileSync('umount', ['-l', this.dir], { stdio: 'pipe' });
      } catch {
        /* already gone */
      }
      this.mounted = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
