// The simulator's costs, checked one by one against what the kernel does (issue 11, item 3):
// whoever reclaims must not get work or RAM for free.
import { PAGE_SIZE } from '../policy-engine/types';
import { run } from './helpers/replay';

describe('simulator fidelity: reclaimedBytes is RAM freed, movedBytes what was moved', () => {
  it('game-call under reclaim: anon into zram frees its size minus the compressed copy, so freed < moved', () => {
    const r = run('game-call', 'reclaim');
    const ok = r.decisions.filter((d) => d.outcome.result === 'ok');
    const anon = ok.reduce((n, d) => n + d.outcome.reclaimedAnonBytes, 0);
    const file = ok.reduce((n, d) => n + d.outcome.reclaimedFileBytes, 0);
    expect(r.metrics.movedBytes).toBe(anon + file);
    // phone-2g compresses 2.8:1: each anon page leaves 1/2.8 of itself in RAM (rounded up per action).
    const freedIdeal = file + anon * (1 - 1 / 2.8);
    expect(r.metrics.reclaimedBytes).toBeLessThan(r.metrics.movedBytes);
    expect(Math.abs(r.metrics.reclaimedBytes - freedIdeal)).toBeLessThanOrEqual(ok.length * PAGE_SIZE);
  });

  it('a policy that does nothing moves and frees nothing', () => {
    const r = run('game-call', 'none');
    expect([r.metrics.movedBytes, r.metrics.reclaimedBytes]).toEqual([0, 0]);
  });
});
