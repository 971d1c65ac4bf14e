// Scans /proc on a worker thread: a scan of 300 processes takes ~20 ms of synchronous
// file reads, which must not stand between a kernel event and the agent's answer.
import { workerData } from 'node:worker_threads';
import type { MemoryReading, PressureSignal, ProcessSnapshot, UserPriority } from '../../policy-engine/types';
import { serveChannel } from '../worker-channel';
import { readMemcgMemory, readSystemMemory } from './meminfo';
import { ProcessScanner, type ScanCounts, type ScanOptions } from './process-scanner';
import { nextScanDelay, type ScanRates } from './scan-rate';

export interface ScanWorkerData {
  options: ScanOptions;
  rates: ScanRates;
  memcg: { dir: string; watermarks?: MemoryReading['watermarks'] } | null;
}

export interface ScanProtocol {
  requests: Record<never, never>;
  commands: {
    foreground: number[];
    priorities: [string, UserPriority][];
    'scan-now': undefined;
    /** A kernel pressure event: scan now (unless a scan is fresh) and fast for a while. */
    pressure: undefined;
  };
  events: { scan: { at: number; procs: ProcessSnapshot[]; counts: ScanCounts; memory: PressureSignal['memory'] } };
}

const { options, rates, memcg } = workerData as ScanWorkerData;
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
  channel.emit('scan', { at, procs, counts: scanner.lastCounts, memory });
  schedule();
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(scan, Math.max(0, lastScanAt + nextScanDelay(Date.now(), lastPressureAt, rates) - Date.now()));
}

const channel = serveChannel<ScanProtocol>({
  commands: {
    foreground: (pids) => (foreground = new Set(pids)),
    priorities: (entries) => (priorities = new Map(entries)),
    pressure: () => {
      lastPressureAt = Date.now();
      schedule(); // the fast rate from now: a scan older than it runs at once
    },
    'scan-now': () => scan(),
  },
});
scan();
