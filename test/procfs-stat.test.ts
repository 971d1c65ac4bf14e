// /proc/PID/stat parsed field by field (procfs.ts readStat): a comm may hold spaces and
// parentheses, and every field the scanner uses must be the one proc(5) numbers.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStat } from '../host/linux/procfs';

const linux = process.platform === 'linux';
(linux ? describe : describe.skip)('readStat', () => {
  it('reads state, ppid, flags, CPU ticks, start time, RSS and major faults past a comm with ") (" in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaimd-stat-'));
    // The kernel keeps 15 characters of the executable's name as comm.
    const name = join(dir, 'a) (b c) d');
    symlinkSync('/bin/sleep', name);
    const child = spawn(name, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const stat = readStat(child.pid!)!;
      const text = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // field N is fields[N - 3]
      expect(stat.comm).toBe('a) (b c) d');
      expect(stat).toEqual({
        state: fields[0],
        comm: 'a) (b c) d',
        ppid: process.pid,
        flags: Number(fields[9 - 3]),
        cpuTicks: Number(fields[14 - 3]) + Number(fields[15 - 3]),
        startTime: Number(fields[22 - 3]),
        rssPages: Number(fields[24 - 3]),
        majorFaults: Number(fields[12 - 3]),
      });
      expect(stat.rssPages).toBeGreaterThan(0);
      expect(readStat(2 ** 22 + 1)).toBeNull(); // no such pid
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
