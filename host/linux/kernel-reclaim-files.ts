import { existsSync, writeFileSync } from 'node:fs';
import type { ReclaimKind } from '../../policy-engine/types';

// The two file interfaces some kernels offer beside process_madvise.

export interface FileReclaimResult {
  result: 'ok' | 'gone' | 'denied' | 'unsupported' | 'error';
  message: string;
}

function failure(err: unknown, what: string): FileReclaimResult {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ESRCH') return { result: 'gone', message: `${what}: the process or cgroup is gone` };
  if (code === 'EACCES' || code === 'EPERM') return { result: 'denied', message: `${what}: permission denied (needs root)` };
  if (code === 'EAGAIN') return { result: 'ok', message: `${what}: the kernel reclaimed less than asked (EAGAIN)` };
  return { result: 'error', message: `${what}: ${(err as Error).message}` };
}

/** Android kernels' /proc/PID/reclaim: write "file", "anon" or "all". */
export function procReclaimAvailable(pid: number | 'self' = 'self'): boolean {
  return existsSync(`/proc/${pid}/reclaim`);
}

export function reclaimThroughProcFile(pid: number, kind: ReclaimKind): FileReclaimResult {
  const path = `/proc/${pid}/reclaim`;
  if (!existsSync(`/proc/${pid}`)) return { result: 'gone', message: `process ${pid} is gone` };
  if (!existsSync(path)) return { result: 'unsupported', message: `${path} does not exist (an Android kernel patch)` };
  try {
    writeFileSync(path, kind);
    return { result: 'ok', message: `wrote "${kind}" to ${path}` };
  } catch (err) {
    return failure(err, path);
  }
}

/** cgroup v2 memory.reclaim: ask the kernel to reclaim this many bytes from a whole cgroup. */
export function reclaimCgroup(cgroupDir: string, bytes: number): FileReclaimResult {
  const path = `${cgroupDir.replace(/\/+$/, '')}/memory.reclaim`;
  if (!existsSync(cgroupDir)) return { result: 'gone', message: `${cgroupDir} does not exist` };
  if (!existsSync(path)) return { result: 'unsupported', message: `${path} does not exist (needs cgroup v2 with the memory controller, Linux 5.19+)` };
  try {
    writeFileSync(path, String(Math.max(4096, Math.round(bytes))));
    return { result: 'ok', message: `asked ${path} for ${bytes} bytes` };
  } catch (err) {
    return failure(err, path);
  }
}
