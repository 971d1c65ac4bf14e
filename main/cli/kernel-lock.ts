import { spawn } from 'node:child_process';

/** How often a wait for the lock looks at the abort flag: Ctrl-C answered within this. */
const LOCK_POLL_MS = 100;

/**
 * Hold an flock(1) on `path` (the team's shared lock for the kernel's swap and memcgs) while
 * a child `flock` runs `cat`: release ends its stdin; if this process dies, so does the pipe,
 * and the lock goes with it. Node has no flock of its own. Resolves to the release function,
 * or null if `aborted` became true while waiting.
 */
export async function acquireKernelLock(path: string, aborted: () => boolean): Promise<(() => Promise<void>) | null> {
  const child = spawn('flock', [path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let locked = false;
  let failed = false;
  child.stdout.on('data', (b: Buffer) => (locked ||= b.toString().includes('locked')));
  child.on('error', () => (failed = true));
  void exited.then(() => (failed = !locked));
  while (!locked && !failed && !aborted()) await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  // A terminal's Ctrl-C reaches the waiting flock too: aborted, not failed.
  if (!locked && !aborted()) throw new Error(`cannot lock ${path}: ${stderr.trim() || 'flock failed'}`);
  if (!locked) {
    // It may have just taken the lock: end its stdin too, so nothing goes on holding it.
    child.stdin.end();
    child.kill();
    await exited;
    return null;
  }
  return async () => {
    child.stdin.end();
    await exited;
  };
}
