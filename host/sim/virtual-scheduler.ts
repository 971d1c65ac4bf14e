import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

interface Entry {
  at: number;
  seq: number;
  action: VirtualAction<unknown>;
}

/**
 * An rxjs scheduler over virtual time, so a replay runs at full speed and the same input
 * gives the same output. Ties in time run in the order they were scheduled (a sequence
 * number), which rxjs's VirtualTimeScheduler does not promise for recursive actions.
 */
export class VirtualClockScheduler implements SchedulerLike {
  private time = 0;
  private seq = 0;
  // A binary min-heap on (at, seq): timers are many and short-lived in a long replay.
  private readonly heap: Entry[] = [];

  now(): number {
    return this.time;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const action = new VirtualAction<T>(this, work);
    action.schedule(state, delay);
    return action;
  }

  /** @internal */
  enqueue(action: VirtualAction<unknown>, delay: number): void {
    const at = this.time + Math.max(0, delay);
    this.push({ at, seq: this.seq++, action });
  }

  /** Run every action due up to `until` (inclusive), then set the clock to `until`. */
  runUntil(until: number): void {
    while (this.heap.length > 0 && this.heap[0].at <= until) {
      const entry = this.pop();
      if (entry.action.closed || entry.action.pendingSeq !== entry.seq) continue;
      this.time = entry.at;
      entry.action.run();
    }
    this.time = Math.max(this.time, until);
  }

  get pending(): number {
    return this.heap.length;
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
    entry.action.pendingSeq = entry.seq;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

class VirtualAction<T> extends Subscription implements SchedulerAction<T> {
  /** The sequence number of this action's live heap entry; older entries are stale. */
  pendingSeq = -1;
  private state?: T;

  constructor(
    private readonly scheduler: VirtualClockScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.scheduler.enqueue(this as VirtualAction<unknown>, delay);
    return this;
  }

  /** @internal */
  run(): void {
    this.pendingSeq = -1;
    this.work.call(this, this.state);
  }
}
