import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A fresh temporary folder per test standing in for / (sysfs and procfs trees written as a
 * given machine shows them), removed after each test; `put` writes a file in it, folders made.
 */
export function useFakeTree(prefix: string): { root: () => string; put: (path: string, text: string) => void } {
  let root = '';
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), `reclaimd-${prefix}-`))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  return {
    root: () => root,
    put: (path, text) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    },
  };
}
