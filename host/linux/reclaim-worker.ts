// Runs process_madvise on a worker thread: paging out 200 MiB takes ~0.2 s of kernel time
// in the calling thread, which must not be the agent's event loop.
import { parentPort } from 'node:worker_threads';
import { killProcess, reclaimProcess, type ReclaimRequest } from './process-reclaim';

export type WorkerRequest = { op: 'reclaim'; req: ReclaimRequest } | { op: 'kill'; pid: number; startTime: number; protectedPids: number[] };

parentPort?.on('message', (msg: WorkerRequest) => {
  try {
    const result = msg.op === 'reclaim' ? reclaimProcess(msg.req) : killProcess(msg.pid, msg.startTime, msg.protectedPids);
    parentPort!.postMessage({ result });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
