import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

const ROOT = '/sys/fs/cgroup/memory';

/** A memcg v1 child with a memory limit; remove() kills what is left in it and deletes it. */
export class Memcg {
  readonly path: string;

  constructor(readonly name: string, limitBytes: number) {
    this.path = `${ROOT}/${name}`;
    mkdirSync(this.path);
    writeFileSync(`${this.path}/memory.limit_in_bytes`, String(limitBytes));
  }

  /** argv prefix that runs a command inside this cgroup (optionally under another argv[0]). */
  wrap(argv0?: string): string[] {
    // bash, not sh: exec -a (a chosen argv[0]) is a bash feature.
    return ['bash', '-c', `echo $$ > ${this.path}/cgroup.procs && exec ${argv0 ? `-a '${argv0.replace(/'/g, '')}' ` : ''}"$@"`, 'bash'];
  }

  pids(): number[] {
    try {
      return readFileSync(`${this.path}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** A counter from memory.stat or memory.oom_control (e.g. "total_pgmajfault", "oom_kill"). */
  counter(name: string): number {
    for (const file of ['memory.stat', 'memory.oom_control']) {
      try {
        const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(readFileSync(`${this.path}/${file}`, 'utf8'));
        if (m) return Number(m[1]);
      } catch {
        /* removed */
      }
    }
    return 0;
  }

  remove(): void {
    removeMemcg(this.path);
  }
}

/** Kill everything in a memcg and delete it, waiting for the kernel to let go (≤ 5 s). */
export function removeMemcg(path: string): void {
  for (let i = 0; i < 50 && existsSync(path); i++) {
    let pids: string[] = [];
    try {
      pids = readFileSync(`${path}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      /* going */
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      rmdirSync(path);
    } catch {
      execFileSync('sleep', ['0.1']);
    }
  }
}

/** Lab cgroups left by a lab process that died without cleaning up (named after its pid). */
export function removeStaleLabCgroups(prefix: string): string[] {
  const removed: string[] = [];
  if (!existsSync(ROOT)) return removed;
  for (const name of readdirSync(ROOT)) {
    const m = new RegExp(`^${prefix}-(\\d+)(-|$)`).exec(name);
    if (!m) continue;
    const owner = Number(m[1]);
    if (owner !== process.pid && !existsSync(`/proc/${owner}`)) {
      removeMemcg(`${ROOT}/${name}`);
      removed.push(name);
    }
  }
  return removed;
}
