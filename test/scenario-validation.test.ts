import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledScenarioFiles, loadScenario } from '../scenario/load';
import { ScenarioError } from '../scenario/scenario';
import { validateScenario, parseScenarioText } from '../scenario/validate';
import { generateScenario } from '../scenario/generate';
import { rawScenario } from './helpers/scenarios';
import { CLI } from './helpers/serve';

function issuesOf(raw: unknown): string[] {
  try {
    validateScenario(raw, 'test');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario validation', () => {
  it('accepts the example of DESIGN.md as written', () => {
    const s = validateScenario({
      name: 'game-call',
      description: 'A game is interrupted by a phone call, then resumed.',
      device: 'phone-4g',
      duration: '10m',
      seed: 7,
      apps: [
        { id: 'game', anon: '900MiB', file: '250MiB', workingSet: 0.5, stateful: true },
        { id: 'dialer', anon: '120MiB', file: '60MiB' },
        { id: 'svc', anon: '80MiB', file: '20MiB', importance: 'service', priority: 'high' },
      ],
      timeline: [
        { at: '0s', do: 'launch', app: 'svc' },
        { at: '1s', do: 'foreground', app: 'game' },
        { at: '2m', do: 'foreground', app: 'dialer' },
        { at: '2m10s', do: 'allocate', app: 'dialer', size: '300MiB', over: '20s' },
        { at: '6m', do: 'foreground', app: 'game' },
      ],
    });
    expect(s.durationMs).toBe(600_000);
    expect(s.apps[0].anonBytes).toBe(900 * 1024 * 1024);
    expect(s.timeline[3]).toEqual({ at: 130_000, do: 'allocate', app: 'dialer', bytes: 300 * 1024 * 1024, overMs: 20_000 });
    expect(s.device.name).toBe('phone-4g');
  });

  it('names the JSON path and what was expected', () => {
    const raw = rawScenario();
    raw.timeline.push({ at: '20s', do: 'allocate', app: 'a', size: '12 parsecs' });
    expect(issuesOf(raw)).toEqual(['timeline[3].size: expected a size like "64MiB", got "12 parsecs"']);
  });

  it('collects every problem, not just the first', () => {
    const raw = rawScenario();
    raw.duration = 'forever';
    raw.apps[1].workingSet = 2;
    raw.apps.push({ id: 'a', anon: '1MiB', file: '1MiB' });
    raw.timeline[0].app = 'ghost';
    raw.timeline[1].do = 'explode';
    const issues = issuesOf(raw);
    expect(issues).toEqual(
      expect.arrayContaining([
        'duration: expected a duration like "2m10s", got "forever"',
        'apps[1].workingSet: expected a number from 0 to 1, got 2',
        'apps[2].id: duplicate app id "a" (first used at apps[0])',
        'timeline[0].app: expected the id of an app in "apps", got "ghost"',
        expect.stringMatching(/^timeline\[1\]\.do: expected an action \(launch, foreground/),
      ]),
    );
  });

  it('suggests the right spelling of an unknown field', () => {
    const raw = rawScenario();
    raw.apps[0].workingset = 0.4;
    expect(issuesOf(raw)).toEqual(['apps[0].workingset: unknown field (did you mean "workingSet"?)']);
  });

  it('allows comment fields starting with _ or $', () => {
    const raw = rawScenario();
    raw._comment = 'free text';
    raw.apps[0].$note = 'x';
    expect(() => validateScenario(raw)).not.toThrow();
  });

  it('rejects a timeline step after the end of the scenario', () => {
    const raw = rawScenario();
    raw.timeline.push({ at: '1m', do: 'close', app: 'a' });
    expect(issuesOf(raw)).toEqual(['timeline[3].at: expected a time within the duration (30000 ms), got "1m"']);
  });

  it('checks device overrides and keeps room for apps', () => {
    const raw = rawScenario();
    raw.device = { profile: 'phone-2g', ram: '1GiB', reserved: '2GiB', zram: { ratio: 0.5 } };
    expect(issuesOf(raw)).toEqual([
      'device.zram.ratio: expected a number from 1 to 10, got 0.5',
      'device.reserved: expected reserved memory plus the high watermark to leave room for apps',
    ]);
    raw.device = { profile: 'phone-9g' };
    expect(issuesOf(raw)[0]).toMatch(/^device.profile: expected a device profile \(phone-2g, phone-4g, phone-8g, chromebook-4g, desktop-16g-cxl, desktop-16g-cxl-tpp\), got "phone-9g"/);
  });

  it('applies device overrides on top of a profile', () => {
    const raw = rawScenario();
    raw.device = { profile: 'phone-4g', ram: '3GiB', zram: { size: '1GiB', ratio: 3 } };
    const s = validateScenario(raw);
    expect(s.device.ramBytes).toBe(3 * 1024 ** 3);
    expect(s.device.zram.sizeBytes).toBe(1024 ** 3);
    expect(s.device.zram.ratio).toBe(3);
    expect(s.device.reservedBytes).toBe(1100 * 1024 * 1024);
  });

  it('reports broken JSON with the parser message', () => {
    expect(() => parseScenarioText('{"name": ', 'x.json')).toThrow(/x.json: \(file\): not valid JSON/);
  });

  it('keeps timeline order stable for steps at the same time', () => {
    const raw = rawScenario();
    raw.timeline = [
      { at: '5s', do: 'foreground', app: 'b' },
      { at: '1s', do: 'launch', app: 'a' },
      { at: '5s', do: 'background', app: 'b' },
    ];
    expect(validateScenario(raw).timeline.map((s) => `${s.at}:${s.do}`)).toEqual(['1000:launch', '5000:foreground', '5000:background']);
  });

  it('validates every bundled scenario', () => {
    const files = bundledScenarioFiles();
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(
      expect.arrayContaining(['game-call.json', 'camera-burst.json', 'day-2g.json', 'leak.json', 'tabs.json', 'quiet.json']),
    );
    for (const f of files) expect(() => loadScenario(f)).not.toThrow();
  });

  it('loads a bundled scenario by name and explains a missing file', () => {
    expect(loadScenario('quiet').name).toBe('quiet');
    expect(() => loadScenario('/nonexistent/x.json')).toThrow(/\(file\): cannot read: no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'reclaimd-'));
    try {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ ...rawScenario(), seed: -1 }));
      expect(() => loadScenario(file)).toThrow(/seed: expected a whole number from 0 to 4294967295, got -1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates valid, reproducible scenarios from a seed', () => {
    const a = generateScenario({ apps: 50, durationMs: 3_600_000, seed: 1 });
    const b = generateScenario({ apps: 50, durationMs: 3_600_000, seed: 1 });
    const c = generateScenario({ apps: 50, durationMs: 3_600_000, seed: 2 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const s = validateScenario(a);
    expect(s.apps).toHaveLength(50);
    expect(s.timeline.length).toBeGreaterThan(20);
  });

  it('refuses JSON nested deeper than 64 levels before parsing it, naming the depth; brackets in strings do not count', () => {
    const n = 2_400_000;
    expect(() => parseScenarioText('['.repeat(n) + ']'.repeat(n), 'deep.json')).toThrow(
      'deep.json: (file): the JSON nests arrays and objects deeper than 64 levels (level 65 opens at character 64); at most 64 are accepted',
    );
    // 64 levels is still JSON the validator looks at (and finds not to be a scenario).
    expect(() => parseScenarioText('['.repeat(64) + ']'.repeat(64))).toThrow(/\(root\): expected an object, got an array/);
    const quoted = { ...rawScenario(), description: '['.repeat(100) + '\\"{{{' };
    expect(parseScenarioText(JSON.stringify(quoted)).description).toBe(quoted.description);
  });

  describe('files that are not scenario files', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-files-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses a directory', () => {
      expect(() => loadScenario(dir)).toThrow(`${dir}: (file): cannot read: is a directory`);
    });

    it('refuses a file over 64 MiB unread', () => {
      const big = join(dir, 'big.json');
      writeFileSync(big, '');
      truncateSync(big, 64 * 2 ** 20 + 1); // sparse: no disk used
      expect(() => loadScenario(big)).toThrow(`${big}: (file): cannot read: the file is ${64 * 2 ** 20 + 1} bytes; at most ${64 * 2 ** 20} are read`);
    });

    // In a child process: before the fix, reading either never ended.
    it('`reclaimd scenario validate` refuses /dev/zero and a FIFO at once, without reading them', () => {
      const fifo = join(dir, 'pipe.json');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      for (const [file, kind] of [['/dev/zero', 'a character device'], [fifo, 'a FIFO (named pipe)']]) {
        const r = spawnSync(process.execPath, [CLI, 'scenario', 'validate', file], { encoding: 'utf8', timeout: 30_000 });
        expect({ file, signal: r.signal }).toEqual({ file, signal: null });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(`reclaimd: invalid scenario ${file}:\n  (file): cannot read: not a regular file but ${kind}\n`);
      }
    });
  });
});
