// The reaction thread: it owns the kernel's pressure descriptors, blocks in poll() and, on
// an event, issues the reclaim the main thread planned ahead for that kind of event itself —
// the main event loop, busy or slow under the very load that caused the event, is told
// after. Nothing here allocates much or waits on another thread between wake-up and the
// first process_madvise.
import { readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { workerData } from 'node:worker_threads';
import { serveChannel } from '../worker-channel';
import { libc } from './libc';
import { refusal, reclaimProcess, type ReclaimResult } from './process-reclaim';
import { closeWatches, fillPollfds, openWatches, RANK, readEvents, type KernelEvent, type PressureSourceOptions } from './pressure-sources';
import { NO_REACTION_COUNTS, ReactionPlan, RecentlyTaken, slotOf, type PlannedReclaim, type ReactionCounts } from './reaction-plan';
import { RangesAhead } from './ranges-ahead';
import { raiseThreadPriority, type ThreadPriority } from './realtime';

export interface ReactionWorkerData {
  plan: SharedArrayBuffer;
  /** An eventfd the main thread writes to wake poll() for a stop. */
  wakeFd: number;
  sources: Pick<PressureSourceOptions, 'psiPath' | 'memcg' | 'triggers'>;
  protectedPids: number[];
  /** The engine's storm control, applied here per source before posting: escalation passes at once. */
  minIntervalMs: number;
  realtime: boolean;
}


/** Its reports; the plan itself goes through the shared buffer, never as a message. */
export interface ReactionProtocol {
  requests: Record<never, never>;
  commands: Record<never, never>;
  events: {
    info: { psi: ReturnType<typeof openWatches>['psi']; vmpressure: string | null; errors: string[]; priority: ThreadPriority | null };
    fatal: string;
    event: { id: number; event: KernelEvent; reaction: { seq: number; reclaim: PlannedReclaim; skipped: string[] } | null; counts: ReactionCounts };
    /** The counts once more as the thread ends (events throttled after the last one posted). */
    counts: ReactionCounts;
    reacted: { id: number; result: ReclaimResult };
  };
}

/**
 * poll() wakes at least this often to notice a stop even if the wake eventfd were lost. A stop
 * comes through that eventfd, which cannot lose a write (its counter would have to reach 2^64),
 * so this is a backstop only: it was 1 s, 60 wake-ups a minute of an idle agent for nothing.
 */
const POLL_TIMEOUT_MS = 10_000;

// This thread runs at SCHED_FIFO, but V8's parallel scavenge hands part of each young-generation
// collection to the platform's helper threads, which run at the normal priority: under a busy
// loop per core this thread can wait for them to be scheduled. Its outliers (20–90 ms, at
// random points of its /proc reads, bench:linux under load, 2026-11-24) fit that; not proven.
// Its heap is small, so it scavenges alone in well under a millisecond. The flag is V8's, so
// process-wide: the main thread scavenges alone too.
setFlagsFromString('--no-parallel-scavenge');

const data = workerData as ReactionWorkerData;
// Nothing to hear (a stop comes through the plan and the wake eventfd): the thread ends when run() does.
const port = serveChannel<ReactionProtocol>();
const plan = new ReactionPlan(data.plan);
const c = libc();

function run(): void {
  const priority = data.realtime ? raiseThreadPriority() : null;
  const watches = openWatches(data.sources);
  port.emit('info', { psi: watches.psi, vmpressure: watches.vmpressure, errors: watches.errors, priority });
  if (watches.list.length === 0) {
    port.emit('fatal', `no pressure source available: ${watches.errors.join('; ')}`);
    return;
  }
  const pollfds = Buffer.alloc(8 * (watches.list.length + 1));
  const wakeCounter = Buffer.alloc(8);
  const last = new Map<KernelEvent['source'], { at: number; rank: number }>();
  let id = 0;
  const counts: ReactionCounts = { ...NO_REACTION_COUNTS };
  const recent = new RecentlyTaken();
  const ahead = new RangesAhead(c.pageSize);
  let aheadOfSeq = -1;
  try {
    while (!plan.stopped) {
      // A new plan (the main thread wakes us when it writes one): read its targets' ranges,
      // one target per turn, each turn polling first without waiting, so an event never waits
      // for more than one target's read.
      if (plan.seq !== aheadOfSeq) {
        aheadOfSeq = plan.seq;
        ahead.plan(plan.everyCandidate());
      }
      const count = fillPollfds(watches.list, pollfds, [data.wakeFd]);
      const { n } = c.poll(pollfds, count, ahead.pending ? 0 : POLL_TIMEOUT_MS);
      const wokeAtMs = performance.timeOrigin + performance.now();
      if (plan.stopped) break;
      if (n <= 0) {
        // Nothing came (or EINTR): the time is the read-ahead's.
        if (ahead.pending) ahead.readNext();
        continue;
      }
      if (pollfds.readInt16LE(8 * watches.list.length + 6) !== 0) drain(data.wakeFd, wakeCounter);
      // The highest level first: it is the one that gets the planned reaction.
      const events = readEvents(watches.list, pollfds).sort((a, b) => RANK[b.level] - RANK[a.level]);
      for (const e of events) {
        counts.heard++;
        const event: KernelEvent = { ...e, wokeAtMs };
        // Storm control before the main thread hears of it: a thrashing memcg sends vmpressure
        // events by the hundred a second, and each one posted costs the main thread a turn —
        // which the engine's throttle would then drop — so the backlog delayed everything.
        const prev = last.get(e.source) ?? { at: -Infinity, rank: 0 };
        if (RANK[e.level] <= prev.rank && wokeAtMs - prev.at < data.minIntervalMs) {
          counts.throttled++;
          continue;
        }
        last.set(e.source, { at: wokeAtMs, rank: RANK[e.level] });
        const armed = plan.armed;
        const taken = plan.take(slotOf(e.source, e.level));
        const fresh = taken ? recent.fresh(taken.candidates, wokeAtMs) : [];
        const chosen = firstStillThere(fresh);
        const reaction = taken && chosen ? { seq: taken.seq, reclaim: chosen.reclaim, skipped: chosen.skipped } : null;
        if (reaction) {
          counts.answered++;
          recent.mark(reaction.reclaim, wokeAtMs);
        } else if (!armed) counts.notArmed++;
        else if (!taken) counts.slotEmpty++;
        else if (fresh.length === 0) counts.candidatesBusy++;
        else counts.candidatesGone++;
        const eventId = ++id;
        port.emit('event', { id: eventId, event, reaction, counts: { ...counts } });
        if (!reaction) continue;
        const { reclaim } = reaction;
        const result = reclaimProcess({ pid: reclaim.pid, startTime: reclaim.startTime, kind: reclaim.kind, mode: reclaim.mode, budgetBytes: reclaim.budgetBytes, protectedPids: data.protectedPids }, ahead.get(reclaim));
        if (result.rangesReadAheadMs !== null) counts.answeredReadAhead++;
        port.emit('reacted', { id: eventId, result });
      }
    }
  } finally {
    closeWatches(watches.list);
    port.emit('counts', counts);
  }
}

function drain(fd: number, counter: Buffer): void {
  try {
    readSync(fd, counter, 0, 8, null);
  } catch {
    /* EAGAIN: nothing to read */
  }
}

/** The first planned process that can still be reclaimed (one stat read each); why the others could not. */
function firstStillThere(candidates: readonly PlannedReclaim[]): { reclaim: PlannedReclaim; skipped: string[] } | null {
  const skipped: string[] = [];
  for (const r of candidates) {
    const why = refusal(r.pid, r.startTime, data.protectedPids);
    if (!why) return { reclaim: r, skipped };
    skipped.push(why.message);
  }
  return null;
}

try {
  run();
} catch (err) {
  port.emit('fatal', err instanceof Error ? err.message : String(err));
}
