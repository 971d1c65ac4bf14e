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

/**
 * A worker thread that performs reclaims and kills one at a time, off the event loop.
 * Requests queue in the worker; the engine already guarantees one action per process.
 */
export class ReclaimRunner {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerScript());
    w.unref();
    w.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    w.on('error', (err) => this.failAll(err));
    w.on('exit', (code) => {
      this.worker = null;
      if (this.pending.size) this.failAll(new Error(`reclaim worker exited with code ${code}`));
    });
    this.worker = w;
    return w;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<T>(msg: WorkerMessage): Promise<T> {
    const id = this.nextId++;
    const w = this.ensure();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      if (this.pending.size === 1) w.ref(); // keep the process alive while work is queued
      w.postMessage({ ...msg, id } as WorkerRequest);
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  reclaim(req: ReclaimRequest): Promise<ReclaimResult> {
    return this.call<ReclaimResult>({ op: 'reclaim', req });
  }

  kill(pid: number, startTime: number, protectedPids: number[]): Promise<{ result: ReclaimResult['result']; message: string }> {
    return this.call({ op: 'kill', pid, startTime, protectedPids });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
