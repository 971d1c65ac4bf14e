import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureZramSwap, Memcg } from './kernel';
import { Memhogs } from './memhog';

export interface KernelFixture {
  hogs: Memhogs;
  /** A scratch folder, removed after the file's tests. */
  dir: string;
  /** A memcg with a limit, removed (with whatever runs in it) after the test. */
  memcg(name: string, limitBytes: number): Memcg;
}

/**
 * What real-kernel tests share: workloads, zram swap (anon reclaim needs it), scratch space
 * and memcgs — all undone after the tests, also when they fail.
 */
export function useKernelFixture(prefix: string): KernelFixture {
  let undoSwap: (() => void) | string = () => undefined;
  const memcgs: Memcg[] = [];
  const fixture: KernelFixture = {
    hogs: undefined as unknown as Memhogs,
    dir: '',
    memcg(name, limitBytes) {
      const m = new Memcg(name, limitBytes);
      memcgs.push(m);
      return m;
    },
  };
  beforeAll(() => {
    fixture.hogs = new Memhogs();
    fixture.dir = mkdtempSync(join(tmpdir(), `reclaimd-${prefix}-`));
    undoSwap = ensureZramSwap('1G');
    if (typeof undoSwap === 'string') throw new Error(`anon reclaim needs swap: ${undoSwap}`);
  });
  afterEach(() => {
    for (const m of memcgs.splice(0)) m.remove();
  });
  afterAll(() => {
    // Each undo runs even if one before it throws: a failed dispose must not keep swap on.
    try {
      fixture.hogs?.dispose();
    } finally {
      try {
        if (typeof undoSwap === 'function') undoSwap();
      } finally {
        if (fixture.dir) rmSync(fixture.dir, { recursive: true, force: true });
      }
    }
  });
  return fixture;
}
