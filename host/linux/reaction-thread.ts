import { once } from 'node:events';
import { closeSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { compiledScript } from '../worker-script';
import { EFD_CLOEXEC, EFD_NONBLOCK, errnoName, libc } from './libc';
import type { ReclaimResult } from './process-reclaim';
import { ReactionPlan } from './reaction-plan';
import type { ReactionMessage, ReactionWorkerData } from './reaction-worker';

export interface ReactionThreadOptions extends Omit<ReactionWorkerData, 'plan' | 'wakeFd'> {
  onInfo(info: Extract<ReactionMessage, { type: 'info' }>): void;
  onEvent(msg: Extract<ReactionMessage, { type: 'event' }>): void;
  onReacted(id: number, result: ReclaimResult): void;
  onFatal(message: string): void;
}

/** How long a stop waits for the thread to leave poll() before terminating it. */
const STOP_GRACE_MS = 2000;

/**
 * The main thread's handle on the reaction thread (reaction-worker.ts): the plan it shares
 * with it, and its reports.
 */
export class ReactionThread {
  readonly plan = new ReactionPlan();
  private readonly worker: Worker;
  private readonly wakeFd: number;
  private stopping: Promise<void> | null = null;

  constructor(options: ReactionThreadOptions) {
    const { fd, errno } = libc().eventfd(EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw new Error(`eventfd for the reaction thread failed: ${errnoName(errno)}`);
    this.wakeFd = fd;
    const { onInfo, onEvent, onReacted, onFatal, ...rest } = options;
    this.worker = new Worker(compiledScript(__dirname, 'reaction-worker.js'), { workerData: { ...rest, plan: this.plan.buffer, wakeFd: fd } satisfies ReactionWorkerData });
    // The agent's server and timers keep it alive; a forgotten host must not keep a test run alive.
    this.worker.unref();
    this.worker.on('message', (msg: ReactionMessage) => {
      if (msg.type === 'info') onInfo(msg);
      else if (msg.type === 'event') onEvent(msg);
      else if (msg.type === 'reacted') onReacted(msg.id, msg.result);
      else onFatal(msg.message);
    });
    this.worker.on('error', (err) => onFatal(`reaction thread failed: ${err.message}`));
  }

  /** Stop the thread (it closes the kernel descriptors it owns), then close the wake eventfd. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.plan.disarm();
      this.plan.stop();
      const exited = once(this.worker, 'exit');
      const wake = Buffer.alloc(8);
      wake.writeBigUInt64LE(1n);
      try {
        writeSync(this.wakeFd, wake);
      } catch {
        /* the counter is full: poll() is awake anyway */
      }
      const timer = setTimeout(() => void this.worker.terminate(), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      closeSync(this.wakeFd);
    })();
    return this.stopping;
  }
}
