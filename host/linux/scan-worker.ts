// Scans /proc on a worker thread: a scan of 300 processes takes ~20 ms of synchronous
// file reads, which must not stand between a kernel event and the agent's answer.
import { parentPort, workerData } from 'node:worker_threads';
import type { MemoryReading, UserPriority } from '../../policy-engine/types';
import { readMemcgMemory, readSystemMemory } from './meminfo';
import { ProcessScanner, type ScanOptions } from './process-scanner';
import { nextScanDelay, type ScanRates } from './scan-rate';

export type ScanWorkerMessage =
  | { type: 'foreground'; pids: number[] }
  | { type: 'priorities'; entries: [string, UserPriority][] }
  | { type: 'scan-now' }
  /** A kernel pressure event: scan now (unless a scan is fresh) and fast for a while. */
  | { type: 'pressure' };

const { options, rates, memcg } = workerData as { options: ScanOptions; rates: ScanRates; memcg: { dir: string; watermarks?: MemoryReading['watermarks'] } | null };
const scanner = new ProcessScanner(options);
let foreground = new Set<number>();
let priorities = new Map<string, UserPriority>();
let lastScanAt = 0;
let lastPressureAt = -Infinity;
let timer: NodeJS.Timeout | null = null;

function scan(): void {
  const at = Date.now();
  lastScanAt = at;
  const procs = scanner.scan(at, foreground, priorities);
  // The memory reading too: under thrashing a memcg's memory.stat takes tens of ms to read,
  // which the main thread must not pay for each event.
  const memory = memcg ? readMemcgMemory(memcg.dir, memcg.watermarks) : readSystemMemory();
  parentPort!.postMessage({ at, procs, counts: scanner.lastCounts, memory });
  schedule();
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(scan, Math.max(0, lastScanAt + nextScanDelay(Date.now(), lastPressureAt, rates) - Date.now()));
}

parentPort!.on('message', (msg: ScanWorkerMessage) => {
  if (msg.type === 'foreground') foreground = new Set(msg.pids);
  else if (msg.type === 'priorities') priorities = new Map(msg.entries);
  else if (msg.type === 'pressure') {
    lastPressureAt = Date.now();
    schedule(); // the fast rate from now: a scan older than it runs at once
  } else scan();
});
scan();
