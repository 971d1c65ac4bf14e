import { closeSync, openSync, readSync } from 'node:fs';
import type { Vma } from './procfs';

/**
 * Entries of /proc/PID/pagemap read at once: 64 Ki entries are 512 KiB of buffer and
 * 256 MiB of address space with 4 KiB pages — large mapped files are read in such slices
 * so the buffer stays bounded whatever the mapping's size.
 */
export const PAGEMAP_SLICE_ENTRIES = 64 * 1024;

// Bits of a pagemap entry's upper 32 bits (Documentation/admin-guide/mm/pagemap.rst).
const PRESENT = 1 << 31; // bit 63: in RAM
const FILE_OR_SHARED = 1 << 29; // bit 61: a page-cache (or shared anonymous) page, not a private anonymous one
const EXCLUSIVE = 1 << 24; // bit 56: mapped by this process only (mapcount 1)

/** What file-mode reclaim sends, and what it leaves and why. */
export interface FilePages {
  /** [start, length] ranges: each holds at least one page the kernel would page out, and no written (anonymous) page. */
  ranges: [bigint, bigint][];
  /** Resident page-cache bytes also mapped by another process: the kernel's pageout leaves them (folio_mapcount != 1). */
  sharedBytes: number;
  /** Resident anonymous copy-on-write bytes inside private file mappings (a written MAP_PRIVATE file): kept out of file reclaim. */
  writtenBytes: number;
}

/**
 * The file pages of these VMAs that MADV_PAGEOUT would actually move, from
 * /proc/PID/pagemap. Pageout of a file mapping also swaps the anonymous copies of pages
 * the process wrote to a private mapping, and skips pages mapped by other processes: so
 * ranges are cut around written pages, and a range with no page of this process alone
 * is not sent at all (it would cost a page-table walk for nothing). Only the file VMAs
 * are read, so a process's anonymous memory adds nothing to the cost. Null when pagemap
 * cannot be read (the process exited, or no ptrace read access).
 */
export function filePages(pid: number, vmas: readonly Vma[], pageSize: number): FilePages | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch {
    return null;
  }
  const out: FilePages = { ranges: [], sharedBytes: 0, writtenBytes: 0 };
  const page = BigInt(pageSize);
  const buf = Buffer.allocUnsafe(8 * PAGEMAP_SLICE_ENTRIES);
  const words = new Uint32Array(buf.buffer, buf.byteOffset, 2 * PAGEMAP_SLICE_ENTRIES);
  try {
    for (const v of vmas) {
      const first = v.start / page;
      const pages = Number((v.end - v.start) / page);
      // The open range: its first page, and whether it has a page pageout would move.
      let runStart = -1;
      let runMovable = false;
      const close = (endPage: number) => {
        if (runStart >= 0 && runMovable) out.ranges.push([v.start + BigInt(runStart) * page, BigInt(endPage - runStart) * page]);
        runStart = -1;
        runMovable = false;
      };
      for (let done = 0; done < pages; ) {
        const n = Math.min(PAGEMAP_SLICE_ENTRIES, pages - done);
        const got = readSync(fd, buf, 0, 8 * n, Number((first + BigInt(done)) * 8n)) / 8;
        if (got <= 0) return null;
        for (let i = 0; i < got; i++) {
          const hi = words[2 * i + 1];
          const at = done + i;
          if ((hi & PRESENT) !== 0 && (hi & FILE_OR_SHARED) === 0) {
            out.writtenBytes += pageSize; // a private anonymous copy: never part of a range
            close(at);
            continue;
          }
          if (runStart < 0) runStart = at;
          if ((hi & PRESENT) !== 0) {
            if ((hi & EXCLUSIVE) !== 0) runMovable = true;
            else out.sharedBytes += pageSize;
          }
        }
        done += got;
      }
      close(pages);
    }
  } catch {
    return null; // the process exited while we read
  } finally {
    closeSync(fd);
  }
  return out;
}
