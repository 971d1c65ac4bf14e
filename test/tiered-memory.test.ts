// Tiered memory in the simulator and the reclaim policy (issue 18): the device profile's
// slower tier, demote as an action, kernel demotion and promotion, and the policy's choice.
import { firstValueFrom } from 'rxjs';
import { SimHost } from '../host/sim/sim-host';
import { VirtualClockScheduler } from '../host/sim/virtual-scheduler';
import { toDecisionRecord } from '../policy-engine/decision-record';
import { planDemote, RECENT_USE_MS, tierBudget, TIER_HEADROOM_PCT, type DemoteQuestion } from '../policy-engine/policies/tier-choice';
import { GiB, MiB, PAGE_SIZE, type PressureSignal, type RankedProcess, type ReclaimAction } from '../policy-engine/types';
import { CXL_EXPANDER, DRAM_ACCESS } from '../scenario/device-profiles';
import { loadScenario } from '../scenario/load';
import type { ScenarioError } from '../scenario/scenario';
import { validateScenario } from '../scenario/validate';
import { run } from './helpers/replay';
import { proc, signal } from './helpers/processes';
import { createBuiltinRegistry } from '../policy-engine/policies/index';

/** A small scenario: one app in front, then in the background, on the given device. */
function scenario(device: unknown) {
  return validateScenario({
    name: 'tier-test',
    description: 'one app',
    device,
    duration: '2m',
    seed: 1,
    apps: [
      { id: 'editor', anon: '400MiB', file: '100MiB', workingSet: 0.3, coldTouch: 0 },
      { id: 'other', anon: '50MiB', file: '10MiB' },
    ],
    timeline: [
      { at: '0s', do: 'foreground', app: 'editor' },
      { at: '10s', do: 'foreground', app: 'other' },
      { at: '60s', do: 'foreground', app: 'editor' },
    ],
  });
}

function issuesOf(raw: unknown): string[] {
  try {
    validateScenario(raw);
  } catch (err) {
    return (err as ScenarioError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('accepted');
}

function started(device: unknown, untilMs = 20_000) {
  const scheduler = new VirtualClockScheduler();
  const host = new SimHost(scenario(device), scheduler, { checkInvariants: true });
  host.start();
  scheduler.runUntil(untilMs);
  return { host, scheduler };
}

function demoteAction(host: SimHost, app: string, bytes: number, tier?: string): ReclaimAction {
  const p = host.snapshot().find((s) => s.appKey === app)!;
  return { type: 'reclaim', pid: p.pid, startTime: p.startTime, appKey: app, kind: 'demote', mode: 'pageout', requestedBytes: bytes, reason: 'test', dryRun: false, ...(tier ? { tier } : {}) };
}

describe('device profile: tiers, validated field by field', () => {
  const base = { name: 'x', description: 'x', duration: '1m', apps: [{ id: 'a', anon: '10MiB', file: '1MiB' }], timeline: [] };
  it('names the field of each bad tier value', () => {
    const issues = issuesOf({
      ...base,
      device: { profile: 'desktop-16g-cxl', tiers: [{ name: 'cxl', size: '1GiB', accessLatencyNs: 50, bandwidthGBps: -1, speed: 3 }] },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        'device.tiers[0].speed: unknown field (expected one of name, size, accessLatencyNs, bandwidthGBps)',
        'device.tiers[0].bandwidthGBps: expected a number from 0.01 to 10000, got -1',
        'device.tiers[0].accessLatencyNs: expected slower than RAM (100 ns), got 50 ns',
      ]),
    );
    expect(issuesOf({ ...base, device: { profile: 'phone-4g', tiers: [{ name: 'cxl', accessLatencyNs: 250, bandwidthGBps: 20 }] } })).toEqual(['device.tiers[0].size: required']);
    expect(issuesOf({ ...base, device: { profile: 'phone-4g', tiers: [{ name: 'a', size: '1GiB', accessLatencyNs: 250, bandwidthGBps: 20 }, { name: 'b', size: '1GiB', accessLatencyNs: 400, bandwidthGBps: 10 }] } })).toEqual([
      'device.tiers: the simulator models at most 1 slower tier, got 2',
    ]);
    expect(issuesOf({ ...base, device: { profile: 'phone-4g', demotion: true } })).toEqual(['device.demotion: needs a slower tier in device.tiers']);
    expect(issuesOf({ ...base, device: { profile: 'phone-4g', tiers: 'cxl' } })).toEqual(['device.tiers: expected a list of tiers, got "cxl"']);
  });

  it('accepts a tier added to any profile', () => {
    const s = validateScenario({ ...base, device: { profile: 'phone-4g', tiers: [{ name: 'far', size: '2GiB', accessLatencyNs: 300, bandwidthGBps: 10 }], demotion: true } });
    expect(s.device.tiers).toEqual([{ name: 'far', sizeBytes: 2 * GiB, accessLatencyNs: 300, bandwidthGBps: 10 }]);
    expect(s.device.demotion).toBe(true);
  });
});

describe('simulator: a demoted page stays mapped, out of RAM, and costs a slower touch', () => {
  it('demote frees RAM, keeps RSS, fills the tier; the pages never refault', async () => {
    const { host, scheduler } = started('desktop-16g-cxl');
    const before = host.snapshot().find((p) => p.appKey === 'editor')!;
    const free = host.memory.freePages;
    const outcome = await new Promise<import('../policy-engine/types').ActionOutcome>((resolve) => {
      host.execute(demoteAction(host, 'editor', 1024 * MiB)).subscribe(resolve);
      scheduler.runUntil(scheduler.now() + 1000);
    });
    expect(outcome.result).toBe('ok');
    const moved = (outcome.reclaimedAnonBytes + outcome.reclaimedFileBytes) / PAGE_SIZE;
    // The idle pages only: 70% of 400 MiB anon less the 10% shared (move_pages leaves shared pages), and 70% of the file pages.
    expect(outcome.reclaimedAnonBytes).toBe(Math.round(0.7 * 400 * 256 - 0.1 * 400 * 256) * PAGE_SIZE);
    expect(outcome.reclaimedFileBytes).toBe(Math.round(0.7 * 100 * 256) * PAGE_SIZE);
    expect(outcome.message).toMatch(/^demoted \d+ anon \+ \d+ file pages to cxl$/);
    // A manual demote names no tier: the outcome says where the pages went, and the record takes it from there.
    expect(outcome.action).toMatchObject({ kind: 'demote', tier: 'cxl' });
    const planned = demoteAction(host, 'editor', 1);
    const record = toDecisionRecord({ seq: 1, batch: 1, at: 0, policy: 'manual', host: 'sim', signal: { ...host.sample(), source: 'manual', level: 'none' }, candidates: [], action: planned, outcome, latencyUs: null }, 0, null);
    expect([planned.tier, record.kind, record.tier]).toEqual([undefined, 'demote', 'cxl']);
    const after = host.snapshot().find((p) => p.appKey === 'editor')!;
    expect(after.rssAnonBytes + after.rssFileBytes).toBe(before.rssAnonBytes + before.rssFileBytes);
    expect(after.swapBytes).toBe(0);
    expect(host.memory.freePages - free).toBeGreaterThanOrEqual(moved - 1); // the step may have touched a page or two
    expect(host.sample().memory.tiers).toEqual([{ name: 'cxl', totalBytes: 16 * GiB, freeBytes: 16 * GiB - moved * PAGE_SIZE, accessLatencyNs: 250, kernelDemotes: false }]);
    const refaults = host.memory.refaultsAnon + host.memory.refaultsFile;
    scheduler.runUntil(120_000); // editor comes back to the front at 60 s
    expect(host.memory.refaultsAnon + host.memory.refaultsFile).toBe(refaults);
    expect(host.invariantViolations()).toEqual([]);
  });

  it('a touch of a demoted page costs the tier\'s access less RAM\'s: latency plus a page at the bandwidth', () => {
    const { host } = started('desktop-16g-cxl');
    const expected = (CXL_EXPANDER.accessLatencyNs + PAGE_SIZE / CXL_EXPANDER.bandwidthGBps - (DRAM_ACCESS.accessLatencyNs + PAGE_SIZE / DRAM_ACCESS.bandwidthGBps)) / 1000;
    expect(host.memory.slowTouchUs).toBeCloseTo(expected, 9);
    expect(host.memory.slowTouchUs).toBeCloseTo(0.2524, 4);
  });

  it('is unsupported on a device without a slower tier, and for a tier the device does not have', async () => {
    const phone = started('phone-4g').host;
    const o = await firstValueFrom(phone.execute(demoteAction(phone, 'editor', 10 * MiB)));
    expect([o.result, o.message]).toEqual(['unsupported', 'phone-4g has no slower memory tier to demote to (device.tiers is empty)']);
    const desk = started('desktop-16g-cxl').host;
    const wrong = await firstValueFrom(desk.execute(demoteAction(desk, 'editor', 10 * MiB, 'pmem')));
    expect([wrong.result, wrong.message]).toEqual(['unsupported', 'desktop-16g-cxl has no tier "pmem" (its slower tier is "cxl")']);
  });
});

describe('simulator: kernel demotion and promotion (TPP)', () => {
  it('with demotion_enabled, reclaim demotes instead of compressing; without it, nothing is demoted', () => {
    const tpp = loadScenario('cxl-tpp-analysis');
    const off = { ...tpp, device: { ...tpp.device, demotion: false, promotion: false } };
    const runNone = (s: typeof tpp) => {
      const scheduler = new VirtualClockScheduler();
      const host = new SimHost(s, scheduler, { checkInvariants: true });
      host.start();
      scheduler.runUntil(s.durationMs);
      return host;
    };
    const on = runNone(tpp);
    const plain = runNone(off);
    expect(on.memory.kernelDemoted).toBeGreaterThan(0);
    expect(plain.memory.kernelDemoted).toBe(0);
    expect(plain.memory.tierStoredPages).toBe(0);
    // What the kernel demoted it did not have to compress: less zram work, fewer anon refaults.
    expect(on.memory.zramCpuUs).toBeLessThan(plain.memory.zramCpuUs);
    expect(on.memory.refaultsAnon).toBeLessThan(plain.memory.refaultsAnon);
  });
});

describe('policy: where the kernel demotes by itself, reclaim leaves the discarding to it', () => {
  /** A cached app used long ago (nothing says its idle pages return), on a device whose kernel demotes to `cxl`. */
  const plan = (kernelDemotes: boolean, freeBytes = 8 * GiB) => {
    const policy = createBuiltinRegistry().create('reclaim');
    const now = 10 * 3_600_000;
    const ctx = { now, busy: new Set<string>() };
    const cached = proc({ pid: 42, appKey: 'old', importance: 'cached', oomScoreAdj: 950, lastForegroundAt: now - 3 * 3_600_000, rssAnonBytes: 300 * MiB, rssFileBytes: 60 * MiB, idleAnonBytes: 100 * MiB, idleFileBytes: 20 * MiB });
    const s = signal('medium', { tiers: [{ name: 'cxl', totalBytes: 16 * GiB, freeBytes, accessLatencyNs: 250, kernelDemotes }] });
    const ranked = policy.rank([cached], ctx);
    return { actions: policy.plan({ ...s, at: now }, ranked, ctx), ranked };
  };

  it('leaves idle pages nothing says will return to the kernel\'s demotion while its tier has room, and says why', () => {
    const { actions, ranked } = plan(true);
    expect(actions).toEqual([]);
    expect(ranked[0].skipped).toMatch(/^left to the kernel: its reclaim demotes to cxl \(.+ free\), where a page that comes back costs a slower touch, not the refault a discard would$/);
    // Without kernel demotion, or with its tier full, it discards as before.
    expect(plan(false).actions).toMatchObject([{ type: 'reclaim', kind: 'file' }]);
    expect(plan(true, 0).actions).toMatchObject([{ type: 'reclaim', kind: 'file' }]);
  });

  it('on the TPP device it discards nothing, and refaults within 1.5× of the kernel alone', () => {
    const tpp = loadScenario('cxl-tpp-analysis');
    const reclaim = run(tpp, 'reclaim');
    const none = run(tpp, 'none');
    expect(reclaim.decisions.filter((d) => d.action.type === 'reclaim' && d.action.kind !== 'demote')).toEqual([]);
    const refaults = (r: typeof none) => r.metrics.refaultsAnon + r.metrics.refaultsFile;
    expect(refaults(reclaim)).toBeLessThanOrEqual(1.5 * refaults(none));
  });
});

describe('simulator: promotion (numa_balancing = 2) brings a returning app\'s working set back to RAM', () => {
  /** The editor's whole memory on the tier while it is in the background, then it comes back at 60 s. */
  function comeBack(device: unknown) {
    const { host, scheduler } = started(device);
    const editor = host.memory.apps.find((a) => a.id === 'editor')!;
    host.memory.demote(editor, Number.MAX_SAFE_INTEGER, true);
    const hot = editor.anonHotSlow + editor.fileHotSlow;
    const stallBefore = host.counters.foregroundStallUs;
    scheduler.runUntil(61_000);
    return { host, editor, hot, stallUs: host.counters.foregroundStallUs - stallBefore };
  }

  it('with promotion, the touched working set moves back (a migration each); without, every touch stays slow', () => {
    const promoted = comeBack({ profile: 'desktop-16g-cxl', promotion: true });
    expect(promoted.hot).toBeGreaterThan(0);
    expect(promoted.host.memory.promoted).toBe(promoted.hot);
    expect(promoted.editor.anonHotSlow + promoted.editor.fileHotSlow).toBe(0);
    const stays = comeBack('desktop-16g-cxl');
    expect(stays.host.memory.promoted).toBe(0);
    expect(stays.editor.anonHotSlow + stays.editor.fileHotSlow).toBe(stays.hot);
    // Both paid for the editor's first second back in front; only the one without promotion keeps paying.
    expect(promoted.host.invariantViolations()).toEqual([]);
    expect(stays.host.invariantViolations()).toEqual([]);
  });
});

describe('policy: demote or discard (tier-choice.ts)', () => {
  const tier = { name: 'cxl', totalBytes: 16 * GiB, freeBytes: 8 * GiB, accessLatencyNs: 250 };
  const signal = (level: PressureSignal['level'], tiers = [tier]): PressureSignal => ({
    at: 0,
    source: 'psi',
    level,
    memory: { totalBytes: 16 * GiB, availableBytes: GiB, freeBytes: GiB, swapTotalBytes: 8 * GiB, swapFreeBytes: 8 * GiB, tiers },
  });
  const candidate = (importance: RankedProcess['process']['importance'], lastForegroundAt: number | null): RankedProcess => ({
    process: { pid: 10, startTime: 1, appKey: 'ide', name: 'ide', importance, oomScoreAdj: 700, priority: 'normal', isForeground: false, lastForegroundAt, rssAnonBytes: GiB, rssFileBytes: 256 * MiB, swapBytes: 0 },
    score: 1,
    effectiveAdj: 700,
    eligible: true,
    why: 'previous (adj 700)',
  });
  const now = 10 * 3_600_000;
  const ask = (over: Partial<DemoteQuestion>, s = signal('medium')) =>
    planDemote(tierBudget(s.memory, true), { signal: s, candidate: candidate('previous', now - 60_000), cold: { anonBytes: 600 * MiB, fileBytes: 100 * MiB, known: true }, now, refaulted: false, minBytes: 12 * MiB, feedback: '', ...over });

  it('demotes the idle pages of an app that will come back to the nearest tier with room, and says where and why', () => {
    const a = ask({})!;
    expect([a.kind, a.tier, a.requestedBytes]).toEqual(['demote', 'cxl', 700 * MiB]);
    expect(a.reason).toBe(
      'medium pressure (psi): demote idle 600MiB anon + 100MiB file to cxl (8.0GiB free, 250 ns a touch) instead of discarding: ' +
        'a previous app is returned to while it runs, and a demoted page costs a slower touch, not a refault; previous (adj 700)',
    );
  });

  it('discards (null) when nothing says the pages come back, and demotes when they did before', () => {
    const stale = candidate('cached', now - 2 * RECENT_USE_MS);
    expect(ask({ candidate: stale })).toBeNull();
    expect(ask({ candidate: stale, refaulted: true })!.reason).toContain('its last reclaims refaulted');
    expect(ask({ candidate: candidate('cached', now - 60_000) })!.reason).toContain('used 1m ago');
  });

  it('discards without an idle estimate, at low pressure, under the minimum, or without room (the headroom kept)', () => {
    expect(ask({ cold: { anonBytes: 600 * MiB, fileBytes: 100 * MiB, known: false } })).toBeNull();
    expect(ask({}, signal('low'))).toBeNull();
    expect(ask({ cold: { anonBytes: 4 * MiB, fileBytes: 4 * MiB, known: true } })).toBeNull();
    expect(ask({}, signal('medium', []))).toBeNull();
    const headroom = (16 * GiB * TIER_HEADROOM_PCT) / 100;
    expect(ask({}, signal('medium', [{ ...tier, freeBytes: 700 * MiB + headroom - 1 }]))).toBeNull();
    expect(ask({}, signal('medium', [{ ...tier, freeBytes: 700 * MiB + headroom }]))).not.toBeNull();
  });

  it('takes each demote from the tier\'s room: the second candidate of a signal finds less', () => {
    const s = signal('medium', [{ ...tier, freeBytes: 1000 * MiB + (16 * GiB * TIER_HEADROOM_PCT) / 100 }]);
    const budget = tierBudget(s.memory, true);
    const q = { signal: s, candidate: candidate('previous', now), cold: { anonBytes: 600 * MiB, fileBytes: 0, known: true }, now, refaulted: false, minBytes: MiB, feedback: '' };
    expect(planDemote(budget, q)).not.toBeNull();
    expect(planDemote(budget, q)).toBeNull();
    expect(tierBudget(s.memory, false).size).toBe(0);
  });

  it('in a replay, reclaim demotes to cxl on the CXL desktop (the decision record names the tier); with demote off it never does', () => {
    const on = run('cxl-desktop', 'reclaim');
    const demotes = on.decisions.filter((d) => d.action.type === 'reclaim' && d.action.kind === 'demote');
    expect(demotes.length).toBeGreaterThan(0);
    const rec = toDecisionRecord(demotes[0], 0, null);
    expect([rec.kind, rec.tier, rec.result]).toEqual(['demote', 'cxl', 'ok']);
    expect(rec.message).toMatch(/to cxl/);
    const off = run('cxl-desktop', 'reclaim', { policyConfig: { demote: false } });
    expect(off.decisions.some((d) => d.action.type === 'reclaim' && d.action.kind === 'demote')).toBe(false);
    expect(off.decisions.filter((d) => d.action.type === 'reclaim').length).toBeGreaterThan(0);
  });
});
