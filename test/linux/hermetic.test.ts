// The machine-state guard and zram0's journal on the real kernel: swap counters that move by
// themselves are not a change; a run killed mid-way is repaired by the next one; zram0 comes
// back with its algorithm and priority; the guard names and undoes what a test leaves.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Memcg } from '../../runs/lab/memcg';
import { readZram, setZram, ZRAM_JOURNAL, zramSwap } from '../../runs/lab/zram-swap';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { describeChanges, readMachineState, restoreMachineState, settledMachineState } from '../helpers/machine-state';
import { Memhogs } from '../helpers/memhog';

const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('hermeticity tests', unavailable);
const MiB = 1024 * 1024;

d('the machine state the tests must leave as they found it', () => {
  let original: ReturnType<typeof readZram>;
  beforeAll(() => (original = readZram()));
  afterAll(() => {
    // zram0 back to what this file found, whatever a failed test did.
    if (original && JSON.stringify(readZram()) !== JSON.stringify(original)) setZram(original);
  });

  it('swapping changes /proc/swaps (Used) but not the machine state', async () => {
    const undo = zramSwap(256 * MiB);
    if (typeof undo === 'string') throw new Error(undo);
    const hogs = new Memhogs();
    const memcg = new Memcg(`reclaimd-test-${process.pid}-swapping`, 64 * MiB);
    try {
      const rawBefore = execFileSync('cat', ['/proc/swaps'], { encoding: 'utf8' });
      const before = readMachineState();
      await hogs.start(120, 0, memcg.wrap()); // 120 MiB in a 64 MiB memcg: the rest goes to zram
      const rawAfter = execFileSync('cat', ['/proc/swaps'], { encoding: 'utf8' });
      expect(rawAfter).not.toBe(rawBefore); // what the old check compared: it would fail here
      const after = readMachineState();
      expect(describeChanges({ ...before, processes: after.processes, tempFiles: after.tempFiles }, after)).toEqual([]);
    } finally {
      memcg.remove();
      hogs.dispose();
      undo();
    }
  });

  it('zram0 comes back with its algorithm, size and swap priority', () => {
    const algorithms = execFileSync('cat', ['/sys/block/zram0/comp_algorithm'], { encoding: 'utf8' });
    const other = /\b(lz4|lzo|zstd)\b/.exec(algorithms.replace(/\[\S+\]/, ''))?.[1];
    if (!other) throw new Error(`need a second zram algorithm for this test; have: ${algorithms}`);
    const custom = { swap: { priority: 7 }, disksize: 128 * MiB, algorithm: other };
    try {
      setZram(custom);
      const undo = zramSwap(256 * MiB);
      if (typeof undo === 'string') throw new Error(undo);
      expect(readZram()).toMatchObject({ disksize: 256 * MiB, swap: expect.anything() });
      undo();
      expect(readZram()).toEqual(custom);
    } finally {
      setZram(original!);
    }
  });

  it('a run killed while zram0 was on is put back by the next one, which says so', async () => {
    expect(readZram()?.swap ?? null).toBeNull();
    const before = readZram();
    // A child turns zram0 swap on and is SIGKILLed before it can restore it.
    const script = `require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'runs', 'lab', 'zram-swap.js'))}).zramSwap(${256 * MiB}); process.stdout.write('on\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    // A child that dies before turning swap on (a moved module, a refused swapon) fails the test at once.
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before turning zram0 swap on: ${Buffer.concat(stderr).toString()}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(readZram()?.swap).not.toBeNull(); // left on
    expect(existsSync(ZRAM_JOURNAL)).toBe(true);
    const notes: string[] = [];
    const undo = zramSwap(128 * MiB, (n) => notes.push(n));
    if (typeof undo === 'string') throw new Error(undo);
    undo();
    expect(notes).toEqual([expect.stringMatching(new RegExp(`restored zram0 as it was before pid ${child.pid}, which died`))]);
    expect(readZram()).toEqual(before);
    expect(existsSync(ZRAM_JOURNAL)).toBe(false);
  });

  it('the guard names what a test left behind and puts it back', async () => {
    const before = readMachineState();
    const hogs = new Memhogs();
    const memcg = new Memcg(`reclaimd-test-${process.pid}-leak`, 64 * MiB);
    const scratch = join(process.env.TMPDIR ?? '/tmp', 'reclaimd-leak');
    try {
      mkdirSync(scratch);
      writeFileSync(join(scratch, 'x'), 'x');
      const undo = zramSwap(128 * MiB);
      if (typeof undo === 'string') throw new Error(undo);
      const hog = await hogs.start(8, 0, memcg.wrap());
      const changes = describeChanges(before, readMachineState());
      expect(changes).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^swap left on: \/dev\/zram0/),
          expect.stringMatching(/^zram0 changed/),
          `memcg left behind: /sys/fs/cgroup/memory/${memcg.name}`,
          expect.stringMatching(new RegExp(`^process left running: ${hog.pid} .*memhog`)),
          expect.stringMatching(/^temp file left behind: .*reclaimd-memhog-/),
        ]),
      );
      expect(restoreMachineState(before)).toEqual([]);
      expect(describeChanges(before, await settledMachineState(before))).toEqual([]);
    } finally {
      memcg.remove();
      hogs.dispose();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
