import { closeSync, writeSync } from 'node:fs';
import { compiledScript } from '../worker-script';
import { Channel } from '../worker-channel';
import { EFD_CLOEXEC, EFD_NONBLOCK, errnoName, libc } from './libc';
import type { ReclaimResult } from './process-reclaim';
import { RANGES_REFRESH_MS, targetKey } from './ranges-ahead';
import { NO_REACTION_COUNTS, ReactionPlan, type ReactionCounts } from './reaction-plan';
import type { ReactionProtocol, ReactionWorkerData } from './reaction-worker';

type Events = ReactionProtocol['events'];

export interface ReactionThreadOptions extends Omit<ReactionWorkerData, 'plan' | 'wakeFd'> {
  onInfo(info: Events['info']): void;
  onEvent(msg: Events['event']): void;
  onReacted(id: number, result: ReclaimResult): void;
  onFatal(message: string): void;
}

/** How long a stop waits for the thread to leave poll() before terminating it. */
const STOP_GRACE_MS = 2000;

/**
 * The main thread's handle on the reaction thread (reaction-worker.ts): the plan it shares
 * with it (memory and Atomics: the fast path, no messages), and its reports (the channel).
 */
export class ReactionThread {
  readonly plan = new ReactionPlan();
  /** What became of the kernel's events so far (the thread's latest report). */
  counts: ReactionCounts = { ...NO_REACTION_COUNTS };
  private readonly worker: Channel<ReactionProtocol>;
  private readonly wakeFd: number;
  private stopping: Promise<void> | null = null;
  private wakeFdClosed = false;
  /** The planned targets the thread was last woken to read ahead, and when. */
  private wokenFor = { targets: '', at: 0 };

  constructor(options: ReactionThreadOptions) {
    const { fd, errno } = libc().eventfd(EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw new Error(`eventfd for the reaction thread failed: ${errnoName(errno)}`);
    this.wakeFd = fd;
    const { onInfo, onEvent, onReacted, onFatal, ...rest } = options;
    // It keeps the process alive until stopped: `reclaimd run` has nothing else to wait on but
    // the kernel's events. (Before the channel the Worker was unref()'d, but the 'message'
    // listener added after it ref'd it again — so this was already what it did.)
    this.worker = Channel.thread<ReactionProtocol>('reaction thread', compiledScript(__dirname, 'reaction-worker.js'), { workerData: { ...rest, plan: this.plan.buffer, wakeFd: fd } satisfies ReactionWorkerData }, true);
    this.worker
      .on('info', onInfo)
      .on('event', (msg) => {
        this.counts = msg.counts;
        onEvent(msg);
      })
      .on('counts', (counts) => (this.counts = counts)).on('reacted', (msg) => onReacted(msg.id, msg.result)).on('fatal', onFatal);
    // It ends on its own only after a stop or a fatal report (exit code 0); otherwise it failed.
    void this.worker.exited.then((how) => {
      if (!this.stopping && how !== 'exited with code 0') onFatal(`reaction thread ${how}`);
    });
  }

  /**
   * Write a new plan and wake the thread, which reads the new targets' /proc ranges ahead
   * (ranges-ahead.ts) before the next event needs them; it would otherwise sleep in poll()
   * until that event.
   */
  writePlan(slots: Parameters<ReactionPlan['write']>[0]): number {
    const seq = this.plan.write(slots);
    // Most plans name the targets the last one did: the thread has their ranges already, and
    // waking it (real-time: it preempts this thread) would be for nothing. It still sees the
    // new plan at its next wake-up, and reads again what has aged by then.
    const now = Date.now();
    const targets = slots.flatMap((candidates) => candidates.map(targetKey)).sort().join(',');
    if (targets !== this.wokenFor.targets || now - this.wokenFor.at >= RANGES_REFRESH_MS) {
      this.wokenFor = { targets, at: now };
      this.wake();
    }
    return seq;
  }

  private wake(): void {
    // After a stop the descriptor's number may belong to another file.
    if (this.wakeFdClosed) return;
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    try {
      writeSync(this.wakeFd, one);
    } catch {
      /* the counter is full (or the thread stopped): poll() is awake anyway */
    }
  }

  /** Stop the thread (it closes the kernel descriptors it owns), then close the wake eventfd. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.plan.disarm();
      this.plan.stop();
      this.wake();
      const timer = setTimeout(() => void this.worker.close(), STOP_GRACE_MS);
      await this.worker.exited;
      clearTimeout(timer);
      this.wakeFdClosed = true;
      closeSync(this.wakeFd);
    })();
    return this.stopping;
  }
}
