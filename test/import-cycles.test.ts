// The lint's circle check (scripts/check-cycles.js): the repository has none, and a circle,
// even through type-only imports, is found and its files named.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', 'scripts', 'check-cycles.js');

describe('import circles', () => {
  test('the repository has none', () => {
    expect(execFileSync(process.execPath, [SCRIPT]).toString()).toMatch(/^import circles: none \(\d+ files\)/);
  });

  test('a circle through a type-only import is reported with its files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaimd-cycles-'));
    try {
      mkdirSync(join(dir, 'db'));
      writeFileSync(join(dir, 'db', 'open.ts'), "import { migrate } from './migrate';\nexport type Db = { x: number };\nexport const open = () => migrate;\n");
      writeFileSync(join(dir, 'db', 'migrate.ts'), "import type { Db } from './open';\nexport function migrate(db: Db): void {}\n");
      writeFileSync(join(dir, 'db', 'leaf.ts'), "import { open } from './open';\nexport const x = open;\n");
      const r = spawnSync(process.execPath, [SCRIPT, dir]);
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toContain('db/migrate.ts, db/open.ts');
      expect(r.stderr.toString()).not.toContain('leaf');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
