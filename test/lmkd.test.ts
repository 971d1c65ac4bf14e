// The lmkd port, case by case against lmkd.cpp at LMKD_REVISION (AOSP lmkd @767ae23).
// Each case names the lmkd.cpp function (and lines) it follows.
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { LMKD_REVISION } from '../policy-engine/policies/lmkd';
import type { PolicyContext, ReclaimPolicy } from '../policy-engine/policy';
import { MiB, type ActionOutcome, type KillAction, type MemoryReading, type PlannedAction, type PressureSignal, type ProcessSnapshot } from '../policy-engine/types';
import { proc } from './helpers/processes';

const registry = createBuiltinRegistry();
const PAGES = (mib: number) => (mib * MiB) / 4096;
const WM = { minBytes: 16 * MiB, lowBytes: 64 * MiB, highBytes: 128 * MiB };
// A 400 MiB file LRU is 102,400 pages: +1,024 refaulted pages is 1 % thrashing.
const FILE_LRU = 400 * MiB;
const pct = (p: number) => Math.ceil((PAGES(400) * p) / 100) + 1;

const procs = (): ProcessSnapshot[] => [
  proc({ pid: 1, appKey: 'fg', importance: 'foreground', isForeground: true, oomScoreAdj: 0 }),
  proc({ pid: 2, appKey: 'perceptible-small', importance: 'perceptible', oomScoreAdj: 200, rssAnonBytes: 50 * MiB }),
  proc({ pid: 3, appKey: 'perceptible-big', importance: 'perceptible', oomScoreAdj: 200, rssAnonBytes: 300 * MiB }),
  proc({ pid: 4, appKey: 'previous', importance: 'previous', oomScoreAdj: 700 }),
  proc({ pid: 5, appKey: 'cached-old', oomScoreAdj: 950, lastForegroundAt: 1000, rssAnonBytes: 10 * MiB }),
  proc({ pid: 6, appKey: 'cached-new', oomScoreAdj: 950, lastForegroundAt: 9000, rssAnonBytes: 500 * MiB }),
];
const important = () => procs().filter((p) => p.oomScoreAdj <= 700);
/** After cached-old was killed. */
const withoutOldest = () => procs().filter((p) => p.appKey !== 'cached-old');

interface Step {
  at: number;
  /** A PSI trigger (an event) or the main loop's poll. */
  src?: 'psi' | 'timer' | 'vmpressure';
  level?: 'low' | 'medium' | 'critical';
  mem?: Partial<MemoryReading>;
  psiFullAvg10?: number;
  procs?: ProcessSnapshot[];
  /** Report the kill this step planned as done (the pidfd's death notification). */
  died?: boolean;
}

/** Memory that gives lmkd no reason at all: free above high, swap plentiful, kswapd moving. */
const calm = (over: Partial<MemoryReading> = {}): MemoryReading => ({
  totalBytes: 4096 * MiB,
  availableBytes: 800 * MiB,
  freeBytes: 300 * MiB,
  swapTotalBytes: 2048 * MiB,
  swapFreeBytes: 1500 * MiB,
  fileCacheBytes: FILE_LRU,
  inactiveFileBytes: 200 * MiB,
  watermarks: WM,
  workingsetRefaultFile: 0,
  pgscanDirect: 0,
  pgscanKswapd: 0,
  ...over,
});

function runSteps(policy: ReclaimPolicy, steps: Step[]): { actions: PlannedAction[][]; polls: (number | null)[] } {
  const actions: PlannedAction[][] = [];
  const polls: (number | null)[] = [];
  for (const s of steps) {
    const ctx: PolicyContext = { now: s.at, busy: new Set() };
    const src = s.src ?? 'psi';
    const memory = calm(s.mem);
    const signal: PressureSignal = {
      at: s.at,
      source: src,
      level: s.level ?? 'medium',
      memory,
      psi: { someAvg10: 0, fullAvg10: s.psiFullAvg10 ?? 0, someAvg60: 0, fullAvg60: 0, someWindowMs: 0, fullWindowMs: 0, windowMs: 1000 },
      ...(src === 'vmpressure' ? { vmpressure: { level: s.level ?? 'medium', pressurePct: 70 } } : {}),
    };
    const planned = policy.plan(signal, policy.rank(s.procs ?? procs(), ctx), ctx);
    actions.push(planned);
    if (s.died) {
      for (const a of planned) policy.observe?.(ok(a, s.at), ctx);
    }
    polls.push(policy.nextPollMs?.(ctx) ?? null);
  }
  return { actions, polls };
}

const ok = (action: PlannedAction, at: number): ActionOutcome => ({ action, result: 'ok', message: 'killed', reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, at });
const kills = (a: PlannedAction[]) => a.map((x) => `${x.appKey}: ${(x as KillAction).reason.split(':')[0]}`);
const lastKills = (policy: ReclaimPolicy, steps: Step[]) => kills(runSteps(policy, steps).actions.at(-1)!);
const lmkd = (config?: object) => registry.create('lmkd', config);

// Kswapd moving each step keeps lmkd past its "not reclaiming, not thrashing" bail-out.
const k = (n: number, over: Partial<MemoryReading> = {}): Partial<MemoryReading> => ({ pgscanKswapd: n, ...over });

interface Case {
  name: string;
  follows: string;
  config?: object;
  steps: Step[];
  expected: string[];
}

const KILL_CASES: Case[] = [
  {
    name: 'PRESSURE_AFTER_KILL: the first wake-up after a kill, below min, goes down to adj 0 (the heaviest perceptible)',
    follows: '__mp_event_psi :2815-2824 (cycle_after_kill) and :2951-2960',
    steps: [
      { at: 10_000, mem: k(1, { freeBytes: 40 * MiB }), procs: [...important(), proc({ pid: 7, appKey: 'cached', oomScoreAdj: 900 })], died: true },
      { at: 10_000, src: 'timer', mem: k(2, { freeBytes: 10 * MiB }), procs: important().filter((p) => p.oomScoreAdj < 700) },
    ],
    expected: ['perceptible-big: PRESSURE_AFTER_KILL'],
  },
  {
    name: 'NOT_RESPONDING: a critical PSI event kills down to adj 0 whatever the memory',
    follows: '__mp_event_psi :2961-2969',
    steps: [{ at: 1000, level: 'critical', mem: k(1), procs: important().filter((p) => p.oomScoreAdj < 700) }],
    expected: ['perceptible-big: NOT_RESPONDING'],
  },
  {
    name: 'LOW_SWAP_AND_THRASHING: swap low and thrashing above the limit; perceptible spared above min',
    follows: '__mp_event_psi :2970-2980',
    steps: [
      { at: 1000, mem: k(1, { swapFreeBytes: 100 * MiB }) },
      { at: 1500, mem: k(2, { swapFreeBytes: 100 * MiB, workingsetRefaultFile: pct(120) }), procs: important() },
    ],
    expected: ['previous: LOW_SWAP_AND_THRASHING'],
  },
  {
    name: 'LOW_MEM_AND_SWAP: free below low and swap low kills above perceptible',
    follows: '__mp_event_psi :2981-2990',
    steps: [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB, swapFreeBytes: 100 * MiB }), procs: important() }],
    expected: ['previous: LOW_MEM_AND_SWAP'],
  },
  {
    name: 'LOW_MEM_AND_SWAP below min goes down to adj 0',
    follows: '__mp_event_psi :2981-2990 (wmark > WMARK_MIN is false)',
    steps: [{ at: 1000, mem: k(1, { freeBytes: 10 * MiB, swapFreeBytes: 100 * MiB }), procs: important().filter((p) => p.oomScoreAdj < 700) }],
    expected: ['perceptible-big: LOW_MEM_AND_SWAP'],
  },
  {
    name: 'swap low counts free + inactive file, not only free swap (get_free_swap)',
    follows: 'get_free_swap :2001-2005 with __mp_event_psi :2826-2832',
    steps: [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB, inactiveFileBytes: 50 * MiB, swapFreeBytes: 1500 * MiB }), procs: important() }],
    expected: ['previous: LOW_MEM_AND_SWAP'],
  },
  {
    name: 'LOW_MEM_AND_SWAP_UTIL: below low with swap utilization above ro.lmk.swap_util_max',
    follows: '__mp_event_psi :2991-3000, calc_swap_utilization :2696',
    config: { swapUtilMaxPct: 50 },
    steps: [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB, swapFreeBytes: 600 * MiB, anonBytes: 200 * MiB }), procs: important().filter((p) => p.oomScoreAdj < 700) }],
    expected: ['perceptible-big: LOW_MEM_AND_SWAP_UTIL'],
  },
  {
    name: 'LOW_MEM_AND_THRASHING: below low and thrashing above the limit kills above perceptible',
    follows: '__mp_event_psi :3001-3011',
    steps: [
      { at: 1000, mem: k(1) },
      { at: 1500, mem: k(2, { freeBytes: 40 * MiB, workingsetRefaultFile: pct(120) }), procs: important() },
    ],
    expected: ['previous: LOW_MEM_AND_THRASHING'],
  },
  {
    name: 'DIRECT_RECL_AND_THRASHING: direct reclaim and thrashing, memory above low',
    follows: '__mp_event_psi :3012-3022 (reclaim == DIRECT_RECLAIM from pgscan_direct, :2844-2851)',
    steps: [
      { at: 1000, mem: k(1) },
      { at: 1500, mem: { pgscanDirect: 5, workingsetRefaultFile: pct(120) }, procs: important() },
    ],
    expected: ['previous: DIRECT_RECL_AND_THRASHING'],
  },
  {
    name: 'DIRECT_RECL_STUCK: direct reclaim with ro.lmk.direct_reclaim_threshold_ms set',
    follows: '__mp_event_psi :3023-3028',
    config: { directReclaimThresholdMs: 500 },
    steps: [{ at: 1000, mem: { pgscanDirect: 5 }, procs: important().filter((p) => p.oomScoreAdj < 700) }],
    expected: ['perceptible-big: DIRECT_RECL_STUCK'],
  },
  {
    name: 'LOW_FILECACHE_AFTER_THRASHING: after a thrashing kill, a file cache below filecache_min_kb keeps killing',
    follows: '__mp_event_psi :3029-3043 (check_filecache set at :3011)',
    config: { filecacheMinKb: 300 * 1024 },
    steps: [
      { at: 1000, mem: k(1) },
      { at: 1500, mem: k(2, { freeBytes: 40 * MiB, workingsetRefaultFile: pct(120) }), died: true },
      { at: 1500, src: 'timer', mem: k(3, { fileCacheBytes: 200 * MiB, workingsetRefaultFile: pct(120) }), procs: withoutOldest() },
    ],
    expected: ['cached-new: LOW_FILECACHE_AFTER_THRASHING'],
  },
  {
    name: 'LOW_MEM (Android 15): below low with no other reason kills only adj ≥ 701',
    follows: '__mp_event_psi :3044-3051 (lowmem_min_oom_score, DEF_LOWMEM_MIN_SCORE :170)',
    steps: [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB }) }],
    expected: ['cached-old: LOW_MEM'],
  },
  {
    name: 'a critical stall (PSI full avg10 above stall_limit_critical) lets LOW_MEM_AND_SWAP go to adj 0',
    follows: '__mp_event_psi :2928-2930 and :3069-3072',
    config: { stallLimitCriticalPct: 50 },
    steps: [{ at: 1000, psiFullAvg10: 60, mem: k(1, { freeBytes: 40 * MiB, swapFreeBytes: 100 * MiB }), procs: important().filter((p) => p.oomScoreAdj < 700) }],
    expected: ['perceptible-big: LOW_MEM_AND_SWAP'],
  },
];

const NO_KILL_CASES: Case[] = [
  {
    name: 'free between low and high with swap low: not LOW_MEM_AND_SWAP (wmark < WMARK_HIGH means below low)',
    follows: 'get_lowest_watermark :2651 with __mp_event_psi :2981',
    steps: [{ at: 1000, mem: k(1, { freeBytes: 100 * MiB, swapFreeBytes: 100 * MiB }) }],
    expected: [],
  },
  {
    name: 'free between low and high and thrashing: not LOW_MEM_AND_THRASHING',
    follows: '__mp_event_psi :3001',
    steps: [
      { at: 1000, mem: k(1) },
      { at: 1500, mem: k(2, { freeBytes: 100 * MiB, workingsetRefaultFile: pct(120) }) },
    ],
    expected: [],
  },
  {
    name: 'not reclaiming and no new refaults: bail out even below min',
    follows: '__mp_event_psi :2855-2863',
    steps: [{ at: 1000, mem: { freeBytes: 10 * MiB, swapFreeBytes: 10 * MiB } }],
    expected: [],
  },
  {
    name: 'the second wake-up after a kill is no PRESSURE_AFTER_KILL (only adj ≥ 701 may die, by LOW_MEM)',
    follows: '__mp_event_psi :2815-2824 (killing is reset on the first wake-up)',
    steps: [
      { at: 10_000, mem: k(1, { freeBytes: 40 * MiB }), died: true },
      { at: 10_000, src: 'timer', mem: k(2, { freeBytes: 40 * MiB }), procs: important() },
      { at: 10_100, src: 'timer', mem: k(3, { freeBytes: 10 * MiB }), procs: important() },
    ],
    expected: [],
  },
  {
    name: 'a poll after a critical event is not NOT_RESPONDING (events == 0)',
    follows: '__mp_event_psi :2961 (level == CRITICAL && events != 0)',
    steps: [
      { at: 1000, level: 'critical', mem: k(1), procs: [] },
      { at: 1100, src: 'timer', mem: k(2), procs: important() },
    ],
    expected: [],
  },
  {
    name: 'while the last victim lives, within kill_timeout_ms, nothing more dies',
    follows: '__mp_event_psi :2790-2796 (is_kill_pending)',
    steps: [
      { at: 1000, mem: k(1, { freeBytes: 40 * MiB }) },
      { at: 1050, mem: k(2, { freeBytes: 40 * MiB }) },
    ],
    expected: [],
  },
  {
    name: 'thrashing below the limit with direct reclaim: no kill',
    follows: '__mp_event_psi :3012',
    steps: [
      { at: 1000, mem: k(1) },
      { at: 1500, mem: { pgscanDirect: 5, workingsetRefaultFile: pct(95) } },
    ],
    expected: [],
  },
  {
    name: 'a lower PSI event within the polling window is ignored',
    follows: '__mp_event_psi :2772-2786 (prev_level)',
    steps: [
      { at: 1000, level: 'critical', mem: k(1), procs: [] },
      { at: 1100, level: 'medium', mem: k(2, { freeBytes: 40 * MiB }) },
    ],
    expected: [],
  },
  {
    name: 'LOW_MEM never takes the previous app (adj 700)',
    follows: '__mp_event_psi :3044-3051',
    steps: [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB }), procs: important() }],
    expected: [],
  },
];

describe(`lmkd port (${LMKD_REVISION}): kill reasons`, () => {
  it.each(KILL_CASES.map((c) => [`${c.name} [${c.follows}]`, c] as const))('%s', (_, c) => {
    expect(lastKills(lmkd(c.config), c.steps)).toEqual(c.expected);
  });
});

describe(`lmkd port (${LMKD_REVISION}): no kill`, () => {
  it.each(NO_KILL_CASES.map((c) => [`${c.name} [${c.follows}]`, c] as const))('%s', (_, c) => {
    expect(lastKills(lmkd(c.config), c.steps)).toEqual(c.expected);
  });
});

describe('lmkd port: thrashing window, decay and limit cut', () => {
  it('halves the last window growth when it was under the limit [__mp_event_psi :2877-2897]', () => {
    // 80 % in the first window (under 100, no kill); crossing it carries 40; +50 % more is 90: no kill.
    const base = [
      { at: 1000, mem: k(1) },
      { at: 1500, mem: { pgscanDirect: 5, workingsetRefaultFile: pct(80) } },
      { at: 2100, mem: { pgscanDirect: 6, workingsetRefaultFile: pct(80) } },
    ];
    expect(lastKills(lmkd(), [...base, { at: 2200, mem: { pgscanDirect: 7, workingsetRefaultFile: pct(80) + pct(50) } }])).toEqual([]);
    expect(lastKills(lmkd(), [...base, { at: 2200, mem: { pgscanDirect: 7, workingsetRefaultFile: pct(80) + pct(62) } }])).toEqual(['cached-old: DIRECT_RECL_AND_THRASHING']);
  });

  it('keeps an over-the-limit growth whole across one window, and decays it over several [__mp_event_psi :2884-2891]', () => {
    const over = (at: number) => [
      { at: 1000, mem: k(1), procs: [] },
      { at: 1500, mem: { pgscanDirect: 5, workingsetRefaultFile: pct(150) }, procs: [] },
      { at, mem: { pgscanDirect: 6, workingsetRefaultFile: pct(150) }, procs: important() },
    ];
    expect(lastKills(lmkd(), over(2100))).toEqual(['previous: DIRECT_RECL_AND_THRASHING']); // 150 carried
    expect(lastKills(lmkd(), over(3100))).toEqual([]); // two windows: 150 >> 2 = 37
  });

  it('cuts the limit 10 % after a thrashing kill, and resets the baseline after the kill [__mp_event_psi :2815-2824, :3076-3086]', () => {
    const steps: Step[] = [
      { at: 1000, mem: k(1) },
      { at: 1500, mem: { pgscanDirect: 5, workingsetRefaultFile: pct(120) }, died: true },
      // The wake-up after the kill: new baseline, nothing refaulted since.
      { at: 1500, src: 'timer', mem: { pgscanDirect: 6, workingsetRefaultFile: pct(120) } },
      // 95 % since the kill: over the cut limit of 90, under the property's 100.
      { at: 1600, src: 'timer', mem: { pgscanDirect: 7, workingsetRefaultFile: pct(120) + pct(95) }, procs: withoutOldest() },
    ];
    const r = runSteps(lmkd(), steps);
    expect(r.actions.map(kills)).toEqual([[], ['cached-old: DIRECT_RECL_AND_THRASHING'], [], ['cached-new: DIRECT_RECL_AND_THRASHING']]);
  });

  it('on a low-RAM device: thrashing limit 30 and a 50 % cut [update_props :4157-4161, DEF_THRASHING_LOWRAM :155]', () => {
    const steps = (lowRamDevice: boolean): Step[] => [
      { at: 1000, mem: k(1, { lowRamDevice }) },
      { at: 1500, mem: { lowRamDevice, pgscanDirect: 5, workingsetRefaultFile: pct(35) }, died: true },
      { at: 1500, src: 'timer', mem: { lowRamDevice, pgscanDirect: 6, workingsetRefaultFile: pct(35) } },
      { at: 1600, src: 'timer', mem: { lowRamDevice, pgscanDirect: 7, workingsetRefaultFile: pct(35) + pct(16) }, procs: withoutOldest() },
    ];
    expect(runSteps(lmkd(), steps(true)).actions.map(kills)).toEqual([[], ['cached-old: DIRECT_RECL_AND_THRASHING'], [], ['cached-new: DIRECT_RECL_AND_THRASHING']]);
    expect(runSteps(lmkd(), steps(false)).actions.map(kills)).toEqual([[], [], [], []]);
  });
});

describe('lmkd port: victim choice [find_and_kill_process :2539-2574]', () => {
  it('takes the highest adj, the oldest within it, whatever its size', () => {
    expect(lastKills(lmkd(), [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB }) }])).toEqual(['cached-old: LOW_MEM']);
  });

  it('takes the heaviest once at perceptible (proc_get_heaviest), or always with kill_heaviest_task', () => {
    const onlyPerceptible = procs().filter((p) => p.oomScoreAdj === 200 || p.isForeground);
    expect(lastKills(lmkd(), [{ at: 1000, level: 'critical', mem: k(1), procs: onlyPerceptible }])).toEqual(['perceptible-big: NOT_RESPONDING']);
    expect(lastKills(lmkd({ killHeaviestTask: true }), [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB }) }])).toEqual(['cached-new: LOW_MEM']);
  });
});

describe('lmkd port: polling after an event [__mp_event_psi :3089-3115, call_handler :3909, mainloop :3950]', () => {
  it('polls every 100 ms for a second after an event, then stops: no timer while idle', () => {
    const steps: Step[] = [{ at: 1000, mem: k(1) }];
    for (let t = 1100; t <= 2100; t += 100) steps.push({ at: t, src: 'timer', mem: k(1) });
    const { polls } = runSteps(lmkd(), steps);
    expect(polls.slice(0, 10)).toEqual(Array(10).fill(100));
    expect(polls.at(-1)).toBeNull(); // 1100 ms after the event: the window is over
  });

  it('polls every 10 ms when swap is low', () => {
    expect(runSteps(lmkd(), [{ at: 1000, mem: k(1, { swapFreeBytes: 10 * MiB }), procs: [] }]).polls).toEqual([10]);
  });

  it('after a kill, pauses until the victim dies (or kill_timeout_ms), then polls at once', () => {
    const policy = lmkd();
    const { actions, polls } = runSteps(policy, [{ at: 1000, mem: k(1, { freeBytes: 40 * MiB }) }]);
    expect(kills(actions[0])).toEqual(['cached-old: LOW_MEM']);
    expect(polls).toEqual([100]); // the kill timeout
    policy.observe!(ok(actions[0][0], 1020), { now: 1020, busy: new Set() });
    expect(policy.nextPollMs!({ now: 1020, busy: new Set() })).toBe(0);
  });

  it('does no polling on an idle device (no event ever)', () => {
    expect(lmkd().nextPollMs!({ now: 5000, busy: new Set() })).toBeNull();
  });
});

describe('lmkd port: the legacy vmpressure strategy [mp_event_common :3132-3345]', () => {
  it('kills at the level table (medium: adj ≥ 800) and ignores PSI', () => {
    const legacy = () => lmkd({ useVmpressure: true });
    expect(lastKills(legacy(), [{ at: 1000, src: 'vmpressure', level: 'medium' }])).toEqual(['cached-old: vmpressure medium']);
    expect(lastKills(legacy(), [{ at: 1000, src: 'vmpressure', level: 'low' }])).toEqual([]); // ro.lmk.low 1001
    expect(lastKills(legacy(), [{ at: 1000, src: 'psi', level: 'critical', mem: k(1) }])).toEqual([]);
  });

  it('never polls: after its victim dies it waits for the next vmpressure event', () => {
    const legacy = lmkd({ useVmpressure: true });
    const { actions, polls } = runSteps(legacy, [{ at: 1000, src: 'vmpressure', level: 'medium', died: true }]);
    expect(kills(actions[0])).toEqual(['cached-old: vmpressure medium']);
    expect(polls).toEqual([null]);
  });

  it('ignores an event while more memory is free than at the low-pressure events (record_low_pressure_levels)', () => {
    const steps: Step[] = [
      { at: 1000, src: 'vmpressure', level: 'low', mem: { freeBytes: 100 * MiB } },
      { at: 2000, src: 'vmpressure', level: 'medium', mem: { freeBytes: 105 * MiB } },
    ];
    expect(lastKills(lmkd({ useVmpressure: true }), steps)).toEqual([]);
    steps[1].mem = { freeBytes: 90 * MiB };
    expect(lastKills(lmkd({ useVmpressure: true }), steps)).toEqual(['cached-old: vmpressure medium']);
  });
});
