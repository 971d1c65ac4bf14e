import { Worker } from 'node:worker_threads';
import type { ReclaimRequest, ReclaimResult } from './process-reclaim';
import type { WorkerRequest } from './reclaim-worker';
import { compiledScript } from '../worker-script';

interface Job {
  msg: WorkerRequest;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker | null;
  /** The one job this worker is doing, if any: a worker holds no queue of its own. */
  current: Job | null;
}

/**
 * Worker threads that perform reclaims and kills off the event loop. A reclaim of a
 * thrashing process can take long (it competes for the target's mmap lock), so there are
 * several; each does one job at a time and the queue stays here, where an urgent job —
 * the first answer to a new pressure event — goes to the front instead of waiting behind
 * the rest of the previous event's plan. The engine already keeps one action per process.
 */
export class ReclaimRunner {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];

  constructor(workers = 2) {
    this.slots = Array.from({ length: Math.max(1, workers) }, () => ({ worker: null, current: null }));
  }

  private start(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const w = new Worker(compiledScript(__dirname, 'reclaim-worker.js'));
    w.unref();
    w.on('message', (msg: { result?: unknown; error?: string }) => {
      const job = slot.current;
      slot.current = null;
      if (job) {
        if (msg.error !== undefined) job.reject(new Error(msg.error));
        else job.resolve(msg.result);
      }
      this.dispatch();
    });
    const fail = (err: Error) => {
      slot.current?.reject(err);
      slot.current = null;
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      slot.worker = null;
      if (slot.current) fail(new Error(`reclaim worker exited with code ${code}`));
      this.dispatch();
    });
    slot.worker = w;
    return w;
  }

  /** Give queued jobs to idle workers; keep the process alive only while there is work. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.current || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      const w = this.start(slot);
      slot.current = job;
      w.ref();
      w.postMessage(job.msg);
    }
    for (const slot of this.slots) if (!slot.current) slot.worker?.unref();
  }

  private call<T>(msg: WorkerRequest, urgent: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { msg, resolve: resolve as (r: unknown) => void, reject };
      if (urgent) this.queue.unshift(job);
      else this.queue.push(job);
      this.dispatch();
    });
  }

  reclaim(req: ReclaimRequest, urgent = false): Promise<ReclaimResult> {
    return this.call<ReclaimResult>({ op: 'reclaim', req }, urgent);
  }

  kill(pid: number, startTime: number, protectedPids: number[]): Promise<{ result: ReclaimResult['result']; message: string }> {
    return this.call({ op: 'kill', pid, startTime, protectedPids }, true);
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new Error('reclaim runner closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        const w = slot.worker;
        slot.worker = null;
        if (w) await w.terminate();
      }),
    );
  }
}
