// Runs process_madvise on a worker thread: paging out 200 MiB takes ~0.2 s of kernel time
// in the calling thread, which must not be the agent's event loop.
import { serveChannel } from '../worker-channel';
import { killProcess, reclaimProcess, type ReclaimRequest, type ReclaimResult } from './process-reclaim';
import { demoteProcess, type DemoteRequest, type DemoteResult } from './demote';

export interface ReclaimProtocol {
  requests: {
    reclaim(req: ReclaimRequest): ReclaimResult;
    kill(target: { pid: number; startTime: number; protectedPids: number[] }): ReturnType<typeof killProcess>;
    /** move_pages to a slower node: as slow as a pageout per GiB, so off the event loop too. */
    demote(req: DemoteRequest): DemoteResult;
  };
  commands: Record<never, never>;
  events: Record<never, never>;
}

serveChannel<ReclaimProtocol>({
  requests: {
    reclaim: (req) => reclaimProcess(req),
    kill: ({ pid, startTime, protectedPids }) => killProcess(pid, startTime, protectedPids),
    demote: (req) => demoteProcess(req),
  },
});
