// Scans /proc on a worker thread: a scan of 300 processes takes ~20 ms of synchronous
// file reads, which must not stand between a kernel event and the agent's answer.
import { parentPort, workerData } from 'node:worker_threads';
import type { UserPriority } from '../../policy-engine/types';
import { ProcessScanner, type ScanOptions } from './process-scanner';

export type ScanWorkerMessage = { type: 'foreground'; pids: number[] } | { type: 'priorities'; entries: [string, UserPriority][] } | { type: 'scan-now' };

const { options, intervalMs } = workerData as { options: ScanOptions; intervalMs: number };
const scanner = new ProcessScanner(options);
let foreground = new Set<number>();
let priorities = new Map<string, UserPriority>();

function scan(): void {
  const at = Date.now();
  parentPort!.postMessage({ at, procs: scanner.scan(at, foreground, priorities) });
}

parentPort!.on('message', (msg: ScanWorkerMessage) => {
  if (msg.type === 'foreground') foreground = new Set(msg.pids);
  else if (msg.type === 'priorities') priorities = new Map(msg.entries);
  else scan();
});
setInterval(scan, intervalMs);
scan();
