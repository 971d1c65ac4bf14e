// Pressure levels are decided by detectors in the engine, not by the hosts: a host measures,
// the detector judges, and the composition picks the detector that fits what its host reads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, asyncScheduler, firstValueFrom, of, type Observable } from 'rxjs';
import { readPsi } from '../host/linux/meminfo';
import { ObserveOnlyHost } from '../host/observe/observe-only-host';
import { availableMemoryDetector, EARLYOOM_THRESHOLDS, psiDetector, psiDetectorFor } from '../policy-engine/detectors/index';
import { LMKD_PSI_TRIGGERS } from '../policy-engine/detectors/psi-triggers';
import { createEngine } from '../policy-engine/engine';
import type { Host } from '../policy-engine/host-contract';
import type { ReclaimPolicy } from '../policy-engine/policy';
import { rankProcesses } from '../policy-engine/ranking';
import type { ActionOutcome, PlannedAction, PressureEvent, PressureReading, ProcessSnapshot } from '../policy-engine/types';
import { proc } from './helpers/processes';

const MiB = 1024 * 1024;
const memory = (availablePct: number): PressureReading['memory'] => ({ totalBytes: 1000 * MiB, availableBytes: availablePct * 10 * MiB, freeBytes: 0, swapTotalBytes: 0, swapFreeBytes: 0 });

describe('PSI detector', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaimd-psi-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A /proc/pressure/memory as the kernel prints it, read by the Linux host's own reader. */
  const linuxReading = (someAvg10: number, fullAvg10: number): PressureReading => {
    const path = join(dir, `memory-${someAvg10}-${fullAvg10}`);
    writeFileSync(path, `some avg10=${someAvg10.toFixed(2)} avg60=0.00 avg300=0.00 total=1\nfull avg10=${fullAvg10.toFixed(2)} avg60=0.00 avg300=0.00 total=1\n`);
    return { at: 0, psi: readPsi(path), memory: memory(50) };
  };

  it.each([
    [0, 0, 'none'],
    [6.99, 0, 'none'],
    [7, 0, 'medium'],
    [90, 69.99, 'medium'],
    [90, 70, 'critical'],
  ])('on Linux, avg10 some %d %% / full %d %% is %s (lmkd 70 ms / 700 ms per 1 s as shares)', (some, full, level) => {
    expect(psiDetector(LMKD_PSI_TRIGGERS).level(linuxReading(some, full))).toBe(level);
  });

  it('compares shares of each window: 140 ms of some in a 2 s kernel window is 7 %, medium', () => {
    const psi = { someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, someWindowMs: 140, fullWindowMs: 0, windowMs: 2000 };
    expect(psiDetector(LMKD_PSI_TRIGGERS).level({ at: 0, psi, memory: memory(50) })).toBe('medium');
    expect(psiDetector(LMKD_PSI_TRIGGERS).level({ at: 0, psi: { ...psi, someWindowMs: 139 }, memory: memory(50) })).toBe('none');
  });

  it('a vmpressure report in the reading counts: the worse of the two', () => {
    const psi = { someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, someWindowMs: 80, fullWindowMs: 0, windowMs: 1000 };
    const d = psiDetector(LMKD_PSI_TRIGGERS);
    expect(d.level({ at: 0, psi, vmpressure: { level: 'critical', pressurePct: 97 }, memory: memory(50) })).toBe('critical');
    expect(d.level({ at: 0, psi, vmpressure: { level: 'low', pressurePct: 10 }, memory: memory(50) })).toBe('medium');
  });

  it('a low-RAM device judges some stall by lmkd\'s 200 ms', () => {
    const psi = { someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, someWindowMs: 150, fullWindowMs: 0, windowMs: 1000 };
    expect(psiDetectorFor({}).level({ at: 0, psi, memory: memory(50) })).toBe('medium');
    expect(psiDetectorFor({ lowRam: true }).level({ at: 0, psi, memory: memory(50) })).toBe('none');
  });

  it('no PSI reading is no pressure', () => {
    expect(psiDetector(LMKD_PSI_TRIGGERS).level({ at: 0, memory: memory(1) })).toBe('none');
  });
});

describe('available-memory detector (observe-only hosts)', () => {
  it.each([
    [50, 'none'],
    [20, 'low'],
    [10, 'medium'],
    [5, 'critical'],
  ])('%d %% available is %s with earlyoom\'s thresholds', (pct, level) => {
    expect(availableMemoryDetector(EARLYOOM_THRESHOLDS).level({ at: 0, memory: memory(pct) })).toBe(level);
  });

  it('an unknown total (no reading yet) is no pressure', () => {
    expect(availableMemoryDetector().level({ at: 0, memory: { ...memory(0), totalBytes: 0 } })).toBe('none');
  });
});

/** Records every signal it is asked to plan for. */
const listener = (): ReclaimPolicy & { heard: string[] } => {
  const heard: string[] = [];
  return { name: 'listener', heard, rank: (p, ctx) => rankProcesses(p, ctx.now), plan: (s) => (heard.push(`${s.source}:${s.level}`), []) };
};

/** A host whose events the test sends; it never acts. */
class EventHost implements Host {
  readonly name = 'events';
  constructor(readonly pressure$: Observable<PressureEvent>, private readonly reading: PressureReading) {}
  sample(): PressureReading {
    return this.reading;
  }
  snapshot(): ProcessSnapshot[] {
    return [proc({ pid: 10 })];
  }
  execute(action: PlannedAction): Observable<ActionOutcome> {
    return of({ action, result: 'ok', message: '', reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, at: 0 });
  }
}

describe('the engine judges readings with its detector', () => {
  it('a kernel trigger keeps its level; a bare reading is judged, and "none" is no event', () => {
    const events = new Subject<PressureEvent>();
    const policy = listener();
    const heard: string[] = [];
    const engine = createEngine({
      host: new EventHost(events, { at: 0, memory: memory(50) }),
      policy,
      scheduler: asyncScheduler,
      throttleMs: 0,
      detector: availableMemoryDetector(),
      heard: (s) => heard.push(`${s.source}:${s.level}`),
    });
    const sub = engine.decisions$.subscribe();
    // The detector would call 50 % available no pressure: the kernel's trigger level stands.
    events.next({ at: 1, source: 'psi', level: 'critical', memory: memory(50) });
    events.next({ at: 2, source: 'timer', memory: memory(50) });
    events.next({ at: 3, source: 'timer', memory: memory(8) });
    sub.unsubscribe();
    expect(heard).toEqual(['psi:critical', 'timer:medium']);
    expect(policy.heard).toEqual(['psi:critical', 'timer:medium']);
  });

  it('a manual request is judged by the same detector', async () => {
    const requests = new Subject<{ id: number; pid: number; kind: 'file'; dryRun: boolean; by: string }>();
    const engine = createEngine({
      host: new EventHost(new Subject<PressureEvent>(), { at: 0, memory: memory(4) }),
      policy: listener(),
      scheduler: asyncScheduler,
      detector: availableMemoryDetector(),
      requests$: requests,
    });
    const first = firstValueFrom(engine.decisions$);
    requests.next({ id: 1, pid: 10, kind: 'file', dryRun: true, by: 'the test' });
    expect((await first).signal).toMatchObject({ source: 'manual', level: 'critical' });
  });

  it('the observe-only host delivers bare readings of this machine, and its detector decides', async () => {
    const host = new ObserveOnlyHost({ sampleMs: 50 });
    const raw = await firstValueFrom(host.pressure$);
    expect(raw.level).toBeUndefined();
    expect(raw.memory.totalBytes).toBeGreaterThan(0);
    // Thresholds under which any machine is under "low" pressure: every reading becomes an event.
    const policy = listener();
    const engine = createEngine({ host, policy, scheduler: asyncScheduler, throttleMs: 0, detector: availableMemoryDetector({ lowPct: 100, mediumPct: -1, criticalPct: -1 }) });
    const sub = engine.decisions$.subscribe();
    while (policy.heard.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    sub.unsubscribe();
    expect(policy.heard[0]).toBe('timer:low');
  });
});
