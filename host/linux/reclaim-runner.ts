import type { ReclaimRequest, ReclaimResult } from './process-reclaim';
import type { DemoteRequest, DemoteResult } from './demote';
import type { ReclaimProtocol } from './reclaim-worker';
import { compiledScript } from '../worker-script';
import { Channel } from '../worker-channel';

interface Job {
  /** The first answer to a pressure event (or a kill): it may take the reserved worker. */
  urgent: boolean;
  run(worker: Channel<ReclaimProtocol>): Promise<unknown>;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  /** Reserved for urgent jobs: the previous event's long reclaims never hold up the next event's first answer. */
  urgentOnly: boolean;
  worker: Channel<ReclaimProtocol> | null;
  /** The one job this worker is doing, if any: a worker holds no queue of its own. */
  current: Job | null;
}

/**
 * Worker threads that perform reclaims and kills off the event loop. A reclaim of a
 * thrashing process can take long (it competes for the target's mmap lock), so there are
 * several; each does one job at a time and the queue stays here, where an urgent job —
 * the first answer to a new pressure event — goes to the front instead of waiting behind
 * the rest of the previous event's plan. The engine already keeps one action per process.
 * A worker that dies fails its job (the channel says how it ended); the next job starts a new one.
 */
export class ReclaimRunner {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];

  /**
   * `workers` for the plan's reclaims, plus one reserved for urgent jobs: with only the shared
   * ones, both could be deep in a thrashing process's reclaim (seconds, waiting on its mmap
   * lock) when the next event's first answer came — measured up to 2.2 s (bench:linux).
   * Workers start on their first job, so an idle agent pays nothing for the reserve.
   */
  constructor(workers = 2) {
    this.slots = [
      { urgentOnly: true, worker: null, current: null },
      ...Array.from({ length: Math.max(1, workers) }, () => ({ urgentOnly: false, worker: null, current: null })),
    ];
  }

  private start(slot: Slot): Channel<ReclaimProtocol> {
    if (slot.worker && !slot.worker.ended) return slot.worker;
    // Idle, the channel lets the process exit; busy, it keeps it alive.
    slot.worker = Channel.thread<ReclaimProtocol>('reclaim worker', compiledScript(__dirname, 'reclaim-worker.js'));
    return slot.worker;
  }

  /** Give queued jobs to idle workers. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.current) continue;
      const at = this.queue.findIndex((j) => j.urgent || !slot.urgentOnly);
      if (at < 0) continue;
      const [job] = this.queue.splice(at, 1);
      slot.current = job;
      job
        .run(this.start(slot))
        .then(job.resolve, job.reject)
        .finally(() => {
          slot.current = null;
          this.dispatch();
        });
    }
  }

  /**
   * Start the reserved worker now, if it is not running: a worker's start (a thread, its
   * modules, the libc binding) took 0.5 s under thrashing (bench:linux, 2026-11-24), and the
   * first urgent job paid it. The host calls this at the first pressure event, so an idle
   * agent still pays nothing for the reserve.
   */
  warmUrgent(): void {
    this.start(this.slots[0]);
  }

  private call<T>(run: (worker: Channel<ReclaimProtocol>) => Promise<T>, urgent: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { urgent, run, resolve: resolve as (r: unknown) => void, reject };
      if (urgent) this.queue.unshift(job);
      else this.queue.push(job);
      this.dispatch();
    });
  }

  reclaim(req: ReclaimRequest, urgent = false): Promise<ReclaimResult> {
    return this.call((w) => w.request('reclaim', req), urgent);
  }

  demote(req: DemoteRequest): Promise<DemoteResult> {
    return this.call((w) => w.request('demote', req), false);
  }

  kill(pid: number, startTime: number, protectedPids: number[]): Promise<{ result: ReclaimResult['result']; message: string }> {
    return this.call((w) => w.request('kill', { pid, startTime, protectedPids }), true);
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new Error('reclaim runner closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        const w = slot.worker;
        slot.worker = null;
        await w?.close();
      }),
    );
  }
}
