import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectFile } from '../../runs/lab/project-file';

/** Builds test/fixtures/memhog.c and runs workloads, killing every one at dispose(). */
export class Memhogs {
  readonly dir: string;
  readonly bin: string;
  private readonly children: ChildProcess[] = [];

  constructor() {
    // Not tmpfs: the file mapping must be real page cache on a disk filesystem.
    this.dir = mkdtempSync(join('/var/tmp', `reclaimd-memhog-${process.pid}-`)); // named after its owner: see machine-state
    this.bin = join(this.dir, 'memhog');
    execFileSync('cc', ['-O2', '-o', this.bin, projectFile('test/fixtures/memhog.c')], { stdio: 'pipe' });
  }

  /**
   * Start one: ANON MiB of anonymous memory and a FILE MiB mapped file, all resident.
   * `wrap` prefixes the command (e.g. a cgroup join or setpriv). `mapping` is how the FILE
   * part is mapped (see memhog.c); `file` names the file, to share one between workloads.
   */
  async start(anonMiB: number, fileMiB: number, wrap: string[] = [], opts: { mapping?: 'shared' | 'private-written' | 'shm'; file?: string } = {}): Promise<ChildProcess & { pid: number }> {
    const file = opts.file ?? join(this.dir, `data-${this.children.length}`);
    const argv = [...wrap, this.bin, String(anonMiB), String(fileMiB), file, opts.mapping ?? 'shared'];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code, sig) => reject(new Error(`memhog exited early (${code ?? sig}): ${out}`)));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    });
    // Wrappers exec the workload, so the child's pid is the workload's.
    return child as ChildProcess & { pid: number };
  }

  dispose(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { projectFile };
