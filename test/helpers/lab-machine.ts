import { readdirSync, readFileSync } from 'node:fs';

/** What a lab must leave as it found it: swap, zram, lab cgroups, lab-worker processes. */
export function labMachineState() {
  const labProcesses = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('lab-worker');
      } catch {
        return false;
      }
    });
  return {
    swaps: readFileSync('/proc/swaps', 'utf8'),
    zramSize: readFileSync('/sys/block/zram0/disksize', 'utf8').trim(),
    cgroups: readdirSync('/sys/fs/cgroup/memory').filter((n) => n.startsWith('reclaimd-lab')),
    labProcesses,
    scratch: readdirSync('/var/tmp').filter((n) => n.startsWith('reclaimd-lab-')),
  };
}
