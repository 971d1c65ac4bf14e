import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ReclaimRequest, ReclaimResult } from './process-reclaim';
import type { WorkerRequest } from './reclaim-worker';

/** The compiled worker script: dist/ next to this file, or dist/ at the project root under ts-jest. */
function workerScript(): string {
  const here = join(__dirname, 'reclaim-worker.js');
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', '..', 'dist', 'host', 'linux', 'reclaim-worker.js');
  if (existsSync(built)) return built;
  throw new Error(`reclaim worker not built (${built}); run "npm run build"`);
}

// Omit over a union would merge its members; distribute it so each op keeps its fields.
type WorkerMessage = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

type Pending = { resolve: (r: unknown) => void; reject: (e: Error) => void };

interface Slot {
  worker: Worker | null;
  pending: Map<number, Pending>;
}

/**
 * Worker threads that perform reclaims and kills off the event loop. A reclaim of a
 * thrashing process can take seconds (it waits on the target's mmap lock), so there are
 * several and each request goes to the least busy; the engine already keeps one action
 * per process.
 */
export class ReclaimRunner {
  private nextId = 1;
  private readonly slots: Slot[];

  constructor(workers = 2) {
    this.slots = Array.from({ length: Math.max(1, workers) }, () => ({ worker: null, pending: new Map() }));
  }

  private start(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const w = new Worker(workerScript());
    w.unref();
    w.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    const fail = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      slot.worker = null;
      if (slot.pending.size) fail(new Error(`reclaim worker exited with code ${code}`));
    });
    slot.worker = w;
    return w;
  }

  private call<T>(msg: WorkerMessage): Promise<T> {
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const w = this.start(slot);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      if (slot.pending.size === 1) w.ref(); // keep the process alive while work is queued
      w.postMessage({ ...msg, id } as WorkerRequest);
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker?.unref();
    });
  }

  reclaim(req: ReclaimRequest): Promise<ReclaimResult> {
    return this.call<ReclaimResult>({ op: 'reclaim', req });
  }

  kill(pid: number, startTime: number, protectedPids: number[]): Promise<{ result: ReclaimResult['result']; message: string }> {
    return this.call({ op: 'kill', pid, startTime, protectedPids });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        const w = slot.worker;
        slot.worker = null;
        if (w) await w.terminate();
      }),
    );
  }
}
