// What lmkd reads must come from the host: the sim and /proc fill in inactive file, kswapd's
// scans, the file refault counter and whether the device is low-RAM.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyedFile, readSystemMemory } from '../host/linux/meminfo';
import { validateScenario } from '../scenario/validate';
import { LMKD_PSI_TRIGGERS, psiTriggersFor } from '../policy-engine/detectors/psi-triggers';
import { run } from './helpers/replay';

const gameCall = () => JSON.parse(readFileSync(`${__dirname}/../scenarios/game-call.json`, 'utf8'));

describe('lmkd inputs from the simulator', () => {
  it('every signal carries inactive file (≤ the file LRU), kswapd and direct scans, file refaults and the low-RAM flag', () => {
    const r = run('game-call', 'lmkd');
    expect(r.decisions.length).toBeGreaterThan(0);
    for (const d of r.decisions) {
      const m = d.signal.memory;
      expect(m.inactiveFileBytes).toBeGreaterThan(0);
      expect(m.inactiveFileBytes!).toBeLessThanOrEqual(m.fileCacheBytes!);
      expect(m).toMatchObject({ pgscanKswapd: expect.any(Number), pgscanDirect: expect.any(Number), workingsetRefaultFile: expect.any(Number), lowRamDevice: false });
    }
    // kswapd worked before lmkd's kill: its scan counter moved.
    expect(r.decisions[0].signal.memory.pgscanKswapd).toBeGreaterThan(0);
  });

  it('a scenario may declare a low-RAM device; lmkd then sees it, and PSI "some" triggers at 200 ms', () => {
    const raw = gameCall();
    raw.device = { profile: 'phone-2g', lowRam: true };
    const scenario = validateScenario(raw);
    expect(scenario.device.lowRam).toBe(true);
    expect(psiTriggersFor(scenario.device)).toEqual({ ...LMKD_PSI_TRIGGERS, someMs: 200 });
    expect(psiTriggersFor({})).toEqual(LMKD_PSI_TRIGGERS);
    const r = run(scenario, 'lmkd');
    expect(r.decisions.every((d) => d.signal.memory.lowRamDevice === true)).toBe(true);
  });

  it('names device.lowRam when it is not a boolean', () => {
    const raw = gameCall();
    raw.device = { profile: 'phone-2g', lowRam: 'yes' };
    expect(() => validateScenario(raw)).toThrow(/device\.lowRam: expected true or false, got "yes"/);
  });
});

describe('lmkd inputs from this Linux machine (/proc, read only)', () => {
  it('reads Inactive(file), pgscan_kswapd and pgrefill', () => {
    const m = readSystemMemory(false);
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    expect(meminfo).toMatch(/^Inactive\(file\):/m);
    expect(m.inactiveFileBytes).toBeGreaterThan(0);
    expect(m.inactiveFileBytes!).toBeLessThanOrEqual(m.fileCacheBytes!);
    const vmstat = readFileSync('/proc/vmstat', 'utf8');
    const counter = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(vmstat)![1]);
    // Cumulative counters only grow: what we read lies at or below a later read.
    expect(m.pgscanKswapd).toBeLessThanOrEqual(counter('pgscan_kswapd'));
    expect(m.pgrefill).toBeLessThanOrEqual(counter('pgrefill'));
    expect(m.pgscanKswapd).toBeGreaterThanOrEqual(0);
  });
});

describe('a key-value file read by key (meminfo, vmstat, memory.stat)', () => {
  it('finds a key at a line start only, whole, with or without padding, and says when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaimd-keyed-'));
    try {
      writeFileSync(join(dir, 'meminfo'), 'MemTotal:       24576000 kB\nActive(file):     1000 kB\nZswapped:          70 kB\nZswap:              5 kB\n');
      const mi = KeyedFile.read(join(dir, 'meminfo'), ':');
      expect(mi.get('MemTotal')).toBe(24576000); // the first line
      expect(mi.get('Active(file)')).toBe(1000);
      expect(mi.get('Zswap')).toBe(5); // not Zswapped's value, though its name starts the same
      expect(mi.get('Total')).toBeUndefined(); // inside a key is not a key
      expect(mi.has('SwapTotal')).toBe(false);
      writeFileSync(join(dir, 'vmstat'), 'pgscan_direct_throttle 7\npgscan_direct 12\n');
      const vm = KeyedFile.read(join(dir, 'vmstat'), ' ');
      expect(vm.get('pgscan_direct')).toBe(12);
      expect(vm.get('pgscan_direct_throttle')).toBe(7);
      // A file that cannot be read has no keys (a cgroup removed under the reader).
      expect(KeyedFile.read(join(dir, 'gone'), ' ').get('pgscan_direct')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
