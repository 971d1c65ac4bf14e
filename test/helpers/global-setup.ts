// The suite-wide guard, first half: the run gets its own temporary folder (TMPDIR) and a
// marker every process it starts inherits, then the machine state is recorded. State left
// by an earlier run that died (a zram journal, memcgs named after a dead pid) is put back
// first, and said, so it is neither mistaken for the machine's own nor kept forever.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleLabCgroups } from '../../runs/lab/memcg';
import { recoverStaleZram } from '../../runs/lab/zram-swap';
import { recoverStaleZswap } from '../../runs/lab/zswap-swap';
import { readMachineState, RUN_MARKER, RUN_TMPDIR } from './machine-state';

/** Memcg names the kernel tests and the lab give, followed by the creating process's pid. */
export const TEST_MEMCG_PREFIXES = ['reclaimd-test', 'reclaimd-run', 'reclaimd-lab'];

export default function globalSetup(): void {
  if (process.platform !== 'linux') return;
  const dir = mkdtempSync(join('/tmp', 'reclaimd-tests-'));
  process.env[RUN_MARKER] = String(process.pid);
  process.env[RUN_TMPDIR] = dir;
  process.env.TMPDIR = dir;
  // What Chromium and GTK would write under $HOME (the crash reporter's database in
  // ~/.config/chromium, dconf's cache in ~/.cache) goes into the run's folder, removed with it.
  for (const [variable, name] of [['XDG_CONFIG_HOME', 'config'], ['XDG_CACHE_HOME', 'cache']] as const) {
    process.env[variable] = join(dir, name);
    mkdirSync(process.env[variable]!);
  }
  if (process.getuid?.() === 0) {
    for (const note of [recoverStaleZram(), recoverStaleZswap()]) if (note) process.stderr.write(`reclaimd tests: ${note}\n`);
    for (const prefix of TEST_MEMCG_PREFIXES) for (const name of removeStaleLabCgroups(prefix)) process.stderr.write(`reclaimd tests: removed memcg ${name}, left by a run that died\n`);
  }
  (globalThis as { reclaimdMachineBefore?: unknown }).reclaimdMachineBefore = readMachineState();
}
