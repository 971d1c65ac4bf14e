// The suite-wide guard, second half: whatever the run left (swap, zram0, memcgs, processes,
// temporary files) is put back, and the run fails naming it — a leak is caught, not hidden.
import { rmSync } from 'node:fs';
import { describeChanges, restoreMachineState, RUN_TMPDIR, settledMachineState, type MachineState } from './machine-state';

export default async function globalTeardown(): Promise<void> {
  const before = (globalThis as { reclaimdMachineBefore?: MachineState }).reclaimdMachineBefore;
  if (!before) return;
  const changes = describeChanges(before, await settledMachineState(before));
  const notRestored = changes.length ? restoreMachineState(before) : [];
  const dir = process.env[RUN_TMPDIR];
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (changes.length === 0) return;
  throw new Error(
    `the test run left the machine changed:\n  ${changes.join('\n  ')}\n` +
      (notRestored.length ? `and these could not be put back:\n  ${notRestored.join('\n  ')}` : 'all of it has been put back'),
  );
}
