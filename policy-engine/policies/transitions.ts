// Which cached apps turned cached since the reclaim policy last asked them for their idle
// memory in full. An app that turns cached has stopped running: its idle pages will not be
// touched before it returns, and under a burst the kernel's inactive list cycles faster than
// the running apps' reuse interval (a perceptible music app touched every 2 s loses its
// working set) while it finds those idle pages a little at a time. Android's
// CachedAppOptimizer compacts an app in full at this transition (OomAdjuster.applyOomAdjLSP,
// "full" on entering cached). The policy pages out the idle part in full at the first
// pressure signal after it — ahead of the level's batches — and with no pressure does nothing.
// The snapshot's lastForegroundAt marks each use, so no band history is needed: a cached app
// used since its last full ask is due again. Pure.
import { processKey } from '../policy';
import type { ProcessSnapshot } from '../types';

export class CachedSinceUse {
  /** Per process: the use (lastForegroundAt) its idle memory was last asked for in full after. */
  private readonly askedAfterUse = new Map<string, number>();

  /**
   * True when the process is cached and was used (in the foreground) since its idle memory was
   * last asked for in full. An app that comes back leaves cached: it is not due while it is
   * out, as CachedAppOptimizer.onOomAdjustChanged cancels a compaction of a process leaving
   * cached. One never in the foreground (launched in the background) has no such transition.
   */
  due(p: Pick<ProcessSnapshot, 'pid' | 'startTime' | 'importance' | 'lastForegroundAt'>): boolean {
    if (p.importance !== 'cached' || p.lastForegroundAt === null) return false;
    return this.askedAfterUse.get(processKey(p)) !== p.lastForegroundAt;
  }

  /** Its idle memory was asked for (or judged not worth asking) after this use: due again after its next one. */
  asked(p: Pick<ProcessSnapshot, 'pid' | 'startTime' | 'lastForegroundAt'>): void {
    if (p.lastForegroundAt !== null) this.askedAfterUse.set(processKey(p), p.lastForegroundAt);
  }

  /** Forget processes that are gone (a long-running agent sees many come and go). */
  keepOnly(alive: ReadonlySet<string>): void {
    for (const key of this.askedAfterUse.keys()) if (!alive.has(key)) this.askedAfterUse.delete(key);
  }
}
