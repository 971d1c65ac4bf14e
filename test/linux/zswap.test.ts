// zswap in front of a swap file as the compressed tier (runs/lab/zswap-swap.ts), on the real
// kernel: a memcg pushed over its limit sends its pages into zswap's pool; the machine comes
// back exactly as it was (swap list, every zswap parameter, no file) after success, a setup
// that fails, a run killed mid-way (repaired by the next), and in the test guard; doctor and
// the memory reading see the tier; the lab runs on it with --swap zswap.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSwaps, readCompressedTier, readZswapParameters } from '../../host/linux/compressed-tier';
import { runDoctor } from '../../host/linux/doctor';
import { readSystemMemory } from '../../host/linux/meminfo';
import { Memcg } from '../../runs/lab/memcg';
import { swapDevices } from '../../runs/lab/zram-swap';
import { LAB_ZSWAP_COMPRESSOR, recoverStaleZswap, restoreJournaledZswap, setZswapParameters, ZSWAP_JOURNAL, ZSWAP_PARAMS, zswapOwner, zswapSwap } from '../../runs/lab/zswap-swap';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { describeChanges, readMachineState, restoreMachineState, settledMachineState, type MachineState } from '../helpers/machine-state';
import { Memhogs } from '../helpers/memhog';

const BIN = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
const noZswap = readZswapParameters(ZSWAP_PARAMS) === null ? 'no zswap in this kernel' : null;
const unavailable = kernelTestsUnavailable() ?? noZswap;
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('zswap tests', unavailable);
const MiB = 1024 * 1024;

const meminfoKiB = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN);
const labSwapFiles = () => swapDevices().filter((s) => /\/reclaimd-zswap-/.test(s.name));
const changesSince = async (before: MachineState) => describeChanges(before, await settledMachineState(before));

d('zswap in front of a swap file', () => {
  let original: Record<string, string>;
  beforeAll(() => (original = readZswapParameters(ZSWAP_PARAMS)!));
  afterAll(() => {
    // Whatever a failed test did: the journal's setup undone, and the parameters this file found.
    if (zswapOwner() === process.pid) restoreJournaledZswap();
    setZswapParameters(original);
  });

  it('a memcg over its limit puts its pages in zswap\'s pool; doctor and the memory reading see it; then the machine is as before', async () => {
    const before = readMachineState();
    const undo = zswapSwap(256 * MiB);
    if (typeof undo === 'string') throw new Error(undo);
    const hogs = new Memhogs();
    const memcg = new Memcg(`reclaimd-test-${process.pid}-zswap`, 64 * MiB);
    try {
      const file = labSwapFiles();
      expect(file).toEqual([expect.objectContaining({ type: 'file', sizeKiB: 256 * 1024 - 4 })]); // mkswap keeps one page for its header
      expect(readZswapParameters(ZSWAP_PARAMS)).toMatchObject({ enabled: 'Y', compressor: LAB_ZSWAP_COMPRESSOR });
      const tier = readCompressedTier();
      expect(tier.kind).toBe(swapDevices().some((s) => s.name === '/dev/zram0') ? 'zram' : 'zswap');
      const zswappedBefore = meminfoKiB('Zswapped');
      await hogs.start(128, 0, memcg.wrap()); // 128 MiB of anon in a 64 MiB memcg: ≥ 64 MiB must go to swap
      const zswapped = meminfoKiB('Zswapped') - zswappedBefore;
      const fileUsedKiB = parseSwaps(readFileSync('/proc/swaps', 'utf8')).find((s) => s.name === file[0].name)!.usedKiB;
      process.stdout.write(`zswap: Zswapped +${Math.round(zswapped / 1024)} MiB, pool ${Math.round(meminfoKiB('Zswap') / 1024)} MiB, swap file used ${Math.round(fileUsedKiB / 1024)} MiB\n`);
      // The swapped pages are in the pool (the memhog's pages are compressible: zswap keeps them in RAM).
      expect(zswapped).toBeGreaterThanOrEqual(48 * 1024);
      const reading = readSystemMemory(false);
      expect(reading.zswapBytes).toBeGreaterThan(0);
      expect(reading.zswappedBytes).toBeGreaterThanOrEqual(48 * MiB);
      const doctor = await runDoctor();
      const check = doctor.checks.find((c) => c.name === 'compressed tier')!;
      if (tier.kind === 'zswap') expect(check).toEqual({ name: 'compressed tier', ok: true, detail: expect.stringMatching(new RegExp(`^zswap: zswap on \\(${LAB_ZSWAP_COMPRESSOR}, pool ≤ \\d+ % of RAM\\) in front of ${file[0].name} \\(file, 256MiB\\)`)) });
      expect(doctor.checks.find((c) => c.name === 'get a tier')).toBeUndefined();
    } finally {
      memcg.remove();
      hogs.dispose();
      undo();
    }
    expect(readZswapParameters(ZSWAP_PARAMS)).toEqual(before.zswap);
    expect(labSwapFiles()).toEqual([]);
    expect(existsSync(ZSWAP_JOURNAL)).toBe(false);
    expect(await changesSince(before)).toEqual([]);
  });

  it('a setup that fails midway (a compressor the kernel lacks) says why and leaves nothing changed', async () => {
    const before = readMachineState();
    const r = zswapSwap(64 * MiB, undefined, 'no-such-compressor');
    expect(r).toEqual(expect.stringMatching(/^cannot set up zswap in front of a swap file: /));
    expect(readZswapParameters(ZSWAP_PARAMS)).toEqual(before.zswap);
    expect(existsSync(ZSWAP_JOURNAL)).toBe(false);
    expect(await changesSince(before)).toEqual([]);
  });

  it('a run killed with zswap set up is put back by the next one, which says so', async () => {
    const before = readMachineState();
    const script = `const r = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'runs', 'lab', 'zswap-swap.js'))}).zswapSwap(${64 * MiB}); if (typeof r === 'string') { process.stderr.write(r); process.exit(2); } process.stdout.write('on\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before setting zswap up: ${Buffer.concat(stderr).toString()}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Left behind: the swap file on, zswap enabled with the lab's compressor, the journal.
    expect(labSwapFiles().map((s) => s.name)).toEqual([expect.stringMatching(new RegExp(`/var/tmp/reclaimd-zswap-${child.pid}-`))]);
    expect(readZswapParameters(ZSWAP_PARAMS)).toMatchObject({ enabled: 'Y', compressor: LAB_ZSWAP_COMPRESSOR });
    expect(existsSync(ZSWAP_JOURNAL)).toBe(true);
    expect(recoverStaleZswap()).toMatch(new RegExp(`^restored zswap as it was before pid ${child.pid}, which died without restoring it \\(swap file /var/tmp/reclaimd-zswap-${child.pid}-\\S+/swapfile off and removed, enabled ${before.zswap!.enabled}`));
    expect(existsSync(ZSWAP_JOURNAL)).toBe(false);
    expect(await changesSince(before)).toEqual([]);
  });

  it('the guard names a zswap setup left behind (swap file, parameters, folder) and puts it back', async () => {
    const before = readMachineState();
    const undo = zswapSwap(64 * MiB);
    if (typeof undo === 'string') throw new Error(undo);
    const changes = describeChanges(before, readMachineState());
    expect(changes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^swap left on: \/var\/tmp\/reclaimd-zswap-\d+-\w+\/swapfile \(file, 65532 KiB, priority 32767\)$/),
        expect.stringMatching(/^zswap changed: /),
        expect.stringMatching(/^temp file left behind: \/var\/tmp\/reclaimd-zswap-/),
      ]),
    );
    expect(restoreMachineState(before)).toEqual([]);
    expect(await changesSince(before)).toEqual([]);
    expect(existsSync(ZSWAP_JOURNAL)).toBe(false);
  });

  it('the lab runs a scenario with --swap zswap, its pages in zswap, and leaves the machine as it was', async () => {
    const before = readMachineState();
    const lab = spawn(process.execPath, [BIN, 'lab', 'lab-game-call', '--policy', 'none', '--time-scale', '8', '--swap', 'zswap', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    lab.stdout.on('data', (b: Buffer) => (out += b.toString()));
    lab.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => lab.on('exit', (code) => resolve(code)));
    // While it runs: its swap file is on, and zswap holds pages.
    let sawFile = false;
    let maxZswappedKiB = 0;
    const baseline = meminfoKiB('Zswapped');
    const poll = setInterval(() => {
      sawFile ||= labSwapFiles().some((s) => s.name.includes(`reclaimd-zswap-${lab.pid}-`));
      maxZswappedKiB = Math.max(maxZswappedKiB, meminfoKiB('Zswapped') - baseline);
    }, 100);
    let code: number | null;
    let timer: NodeJS.Timeout | undefined;
    try {
      code = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 120_000)))]);
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      if (lab.exitCode === null) {
        lab.kill('SIGINT');
        await exited;
      }
    }
    process.stdout.write(`lab on zswap: swap file seen ${sawFile}, Zswapped peak +${Math.round(maxZswappedKiB / 1024)} MiB\n`);
    expect([code, err]).toEqual([0, expect.any(String)]);
    expect(JSON.parse(out)).toMatchObject({ scenario: 'lab-game-call', runs: [expect.objectContaining({ policy: 'none' })] });
    expect(sawFile).toBe(true);
    expect(maxZswappedKiB).toBeGreaterThan(0);
    expect(await changesSince(before)).toEqual([]);
  }, 150_000);

  it('a lab on zswap that fails (an app that cannot start) still puts everything back', async () => {
    const before = readMachineState();
    const scenario = JSON.parse(readFileSync(join(__dirname, '..', '..', 'scenarios', 'lab-game-call.json'), 'utf8'));
    scenario.name = 'lab-too-big';
    scenario.apps[0].anon = '3GiB'; // cannot fit in its cgroup and swap: the kernel kills it at launch
    const dir = mkdtempSync(join(tmpdir(), 'reclaimd-zswaplab-'));
    try {
      writeFileSync(join(dir, 'too-big.json'), JSON.stringify(scenario));
      const r = spawnSync(process.execPath, [BIN, 'lab', join(dir, 'too-big.json'), '--policy', 'none', '--time-scale', '8', '--swap', 'zswap'], { encoding: 'utf8', timeout: 120_000 });
      expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(/worker exited before ready/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await changesSince(before)).toEqual([]);
  }, 150_000);

  it('a lab on zswap that is SIGKILLed is repaired by the next lab, which says so', async () => {
    const before = readMachineState();
    const lab = spawn(process.execPath, [BIN, 'lab', 'lab-game-call', '--policy', 'none', '--swap', 'zswap'], { stdio: 'ignore' });
    const exited = new Promise((r) => lab.once('exit', r));
    try {
      for (let i = 0; i < 300 && !labSwapFiles().some((s) => s.name.includes(`reclaimd-zswap-${lab.pid}-`)); i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      lab.kill('SIGKILL');
      await exited;
    }
    expect(labSwapFiles().map((s) => s.name)).toEqual([expect.stringContaining(`reclaimd-zswap-${lab.pid}-`)]); // left on
    // The next lab (zram here: whichever tier it uses) puts zswap back first.
    const next = spawnSync(process.execPath, [BIN, 'lab', 'lab-game-call', '--policy', 'none', '--time-scale', '8'], { encoding: 'utf8', timeout: 120_000 });
    expect(next.status).toBe(0);
    expect(next.stderr).toContain(`reclaimd: restored zswap as it was before pid ${lab.pid}, which died without restoring it`);
    expect([readZswapParameters(ZSWAP_PARAMS), labSwapFiles(), existsSync(ZSWAP_JOURNAL)]).toEqual([before.zswap, [], false]);
    // What else a SIGKILLed lab leaves (its scratch folder, its workers) is the test guard's to undo, not zswap's.
    restoreMachineState(before);
    expect((await changesSince(before)).filter((c) => !/reclaimd-lab-/.test(c))).toEqual([]);
  }, 200_000);

  it('lab --swap refuses a tier it does not know, naming the flag', () => {
    const r = spawnSync(process.execPath, [BIN, 'lab', 'lab-game-call', '--swap', 'disk'], { encoding: 'utf8' });
    expect([r.status, r.stderr.trim()]).toEqual([2, expect.stringContaining('--swap: expected zram or zswap, got "disk"')]);
  });
});
