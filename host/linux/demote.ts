// Demote one process's pages to a slower memory node with move_pages(2): the pages stay
// mapped (no refault), only their node changes. Where the machine has no slower node, the
// action is refused as unsupported with the reason (memory-tiers.ts), before the process is
// touched.
import { performance } from 'node:perf_hooks';
import type { ActionResult } from '../../policy-engine/types';
import { errnoName, libc, MPOL_MF_MOVE, type Libc } from './libc';
import { readMemoryTiering, type MemoryTiering } from './memory-tiers';
import { refusal } from './process-reclaim';
import { readStartTime, readVmas, type Vma } from './procfs';

/**
 * Pages per move_pages call: 4096 (16 MiB of 4 KiB pages) keeps the address, node and status
 * buffers at 48 KiB and lets a budget stop the walk between calls. The kernel itself works
 * in chunks of 16 (mm/migrate.c DO_PAGES_STAT_CHUNK_NR), so bigger calls gain nothing.
 */
export const MOVE_PAGES_BATCH = 4096;

export interface DemoteRequest {
  pid: number;
  startTime: number;
  /** Stop after moving this many bytes; 0 means every private page. */
  budgetBytes: number;
  /** The destination (`node1`), or the nearest slower node when absent. */
  tier?: string;
  protectedPids?: readonly number[];
}

export interface DemoteResult {
  result: Exclude<ActionResult, 'dry-run'>;
  message: string;
  /** The node the pages went to, as `nodeN`; null when nothing was tried. */
  tier: string | null;
  movedAnonBytes: number;
  movedFileBytes: number;
  durationMs: number;
}

/** Each page's node (or -errno: -ENOENT for a page not present) — move_pages with nodes = NULL. */
export function pageNodes(pid: number, addrs: readonly bigint[], c: Libc = libc()): { nodes: number[]; errno: number } {
  return callMovePages(c, pid, addrs, null);
}

/** Move the pages to `node`; each page's status after (its node, or -errno). MPOL_MF_MOVE: pages only this process maps. */
export function movePagesTo(pid: number, addrs: readonly bigint[], node: number, c: Libc = libc()): { nodes: number[]; errno: number } {
  return callMovePages(c, pid, addrs, node);
}

function callMovePages(c: Libc, pid: number, addrs: readonly bigint[], node: number | null): { nodes: number[]; errno: number } {
  const n = addrs.length;
  const pages = Buffer.alloc(n * 8);
  addrs.forEach((a, i) => pages.writeBigUInt64LE(a, i * 8));
  const nodes = node === null ? null : Buffer.alloc(n * 4);
  if (nodes) for (let i = 0; i < n; i++) nodes.writeInt32LE(node!, i * 4);
  const status = Buffer.alloc(n * 4);
  const r = c.movePages(pid, n, pages, nodes, status, node === null ? 0 : MPOL_MF_MOVE);
  if (r.result < 0) return { nodes: [], errno: r.errno };
  return { nodes: Array.from({ length: n }, (_, i) => status.readInt32LE(i * 4)), errno: 0 };
}

/** The private VMAs' page addresses, anon first (the pages a demote frees RAM of), then file. */
function* privatePages(vmas: readonly Vma[], pageSize: number): Generator<{ addr: bigint; kind: 'anon' | 'file' }> {
  const size = BigInt(pageSize);
  for (const kind of ['anon', 'file'] as const) {
    for (const v of vmas) {
      if (v.kind !== kind || v.shared) continue;
      for (let a = v.start; a < v.end; a += size) yield { addr: a, kind };
    }
  }
}

/**
 * Move up to the budget of the process's resident private pages that are not on the target
 * node yet to it. Every failure is a result, never a throw.
 */
export function demoteProcess(req: DemoteRequest, tiering: MemoryTiering = readMemoryTiering()): DemoteResult {
  const t0 = performance.now();
  const done = (result: DemoteResult['result'], message: string, tier: string | null = null, anon = 0, file = 0): DemoteResult => ({
    result,
    message,
    tier,
    movedAnonBytes: anon,
    movedFileBytes: file,
    durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
  });
  if (tiering.unavailable) return done('unsupported', `demote unavailable: ${tiering.unavailable}`);
  const target = req.tier === undefined ? [...tiering.slower].sort((a, b) => a.accessLatencyNs - b.accessLatencyNs)[0] : tiering.slower.find((t) => t.name === req.tier);
  if (!target) return done('unsupported', `demote unavailable: no slower tier "${req.tier}" here (slower tiers: ${tiering.slower.map((t) => t.name).join(', ')})`);
  const early = refusal(req.pid, req.startTime, req.protectedPids);
  if (early) return done(early.result, early.message);
  let c: Libc;
  try {
    c = libc();
  } catch (err) {
    return done('unsupported', (err as Error).message);
  }
  const vmas = readVmas(req.pid);
  if (!vmas) return done(readStartTime(req.pid) === req.startTime ? 'denied' : 'gone', `cannot read /proc/${req.pid}/maps`);
  const budgetPages = req.budgetBytes > 0 ? Math.ceil(req.budgetBytes / c.pageSize) : Number.MAX_SAFE_INTEGER;
  const moved = { anon: 0, file: 0 };
  let failed = 0;
  let batch: { addr: bigint; kind: 'anon' | 'file' }[] = [];
  const flush = (): string | null => {
    // Where each page is now: only resident pages on another node are moved.
    const where = pageNodes(req.pid, batch.map((p) => p.addr), c);
    if (where.errno) return `move_pages(${req.pid}) query: ${errnoName(where.errno)}`;
    const todo = batch.filter((_, i) => where.nodes[i] >= 0 && where.nodes[i] !== target.node).slice(0, budgetPages - moved.anon - moved.file);
    batch = [];
    if (todo.length === 0) return null;
    const after = movePagesTo(req.pid, todo.map((p) => p.addr), target.node!, c);
    if (after.errno) return `move_pages(${req.pid}, node ${target.node}): ${errnoName(after.errno)}`;
    todo.forEach((p, i) => (after.nodes[i] === target.node ? moved[p.kind]++ : failed++));
    return null;
  };
  for (const page of privatePages(vmas, c.pageSize)) {
    if (moved.anon + moved.file >= budgetPages) break;
    batch.push(page);
    if (batch.length < MOVE_PAGES_BATCH) continue;
    const err = flush();
    if (err) return done(readStartTime(req.pid) === req.startTime ? 'error' : 'gone', err, target.name, moved.anon * c.pageSize, moved.file * c.pageSize);
  }
  const err = batch.length > 0 ? flush() : null;
  if (readStartTime(req.pid) !== req.startTime) return done('gone', `process ${req.pid} exited during the demote`, target.name, moved.anon * c.pageSize, moved.file * c.pageSize);
  if (err) return done('error', err, target.name, moved.anon * c.pageSize, moved.file * c.pageSize);
  const kept = failed > 0 ? `; ${failed} pages stayed (busy, shared or no room on ${target.name})` : '';
  return done('ok', `moved ${moved.anon} anon + ${moved.file} file pages to ${target.name} (move_pages, MPOL_MF_MOVE)${kept}`, target.name, moved.anon * c.pageSize, moved.file * c.pageSize);
}
