import { rankProcesses } from '../policy-engine/ranking';
import { bandForAdj } from '../policy-engine/importance';
import { proc } from './helpers/processes';

const MIN = 60_000;

describe('importance ranking', () => {
  it('orders by band first: cached before previous before service before visible', () => {
    const ranked = rankProcesses(
      [
        proc({ appKey: 'visible', importance: 'visible' }),
        proc({ appKey: 'service', importance: 'service' }),
        proc({ appKey: 'cached', importance: 'cached' }),
        proc({ appKey: 'previous', importance: 'previous' }),
        proc({ appKey: 'perceptible', importance: 'perceptible' }),
      ],
      10 * MIN,
    );
    expect(ranked.map((r) => r.process.appKey)).toEqual(['cached', 'previous', 'service', 'perceptible', 'visible']);
  });

  it('within a band prefers the app idle longest, then the bigger one', () => {
    const now = 100 * MIN;
    const ranked = rankProcesses(
      [
        proc({ appKey: 'recent', lastForegroundAt: now - 1 * MIN }),
        proc({ appKey: 'old-small', lastForegroundAt: now - 60 * MIN, rssAnonBytes: 10e6 }),
        proc({ appKey: 'old-big', lastForegroundAt: now - 60 * MIN, rssAnonBytes: 900e6 }),
      ],
      now,
    );
    expect(ranked.map((r) => r.process.appKey)).toEqual(['old-big', 'old-small', 'recent']);
    expect(ranked[0].why).toMatch(/cached \(adj 900\), idle 1h/);
  });

  it('lets user priorities override the band', () => {
    const ranked = rankProcesses(
      [
        proc({ appKey: 'cached-high', importance: 'cached', priority: 'high' }),
        proc({ appKey: 'service-expendable', importance: 'service', priority: 'expendable' }),
        proc({ appKey: 'previous-low', importance: 'previous', priority: 'low' }),
        proc({ appKey: 'cached', importance: 'cached' }),
      ],
      MIN,
    );
    expect(ranked.map((r) => r.process.appKey)).toEqual(['service-expendable', 'previous-low', 'cached', 'cached-high']);
  });

  it('never offers foreground, protected, system or untouchable processes', () => {
    const ranked = rankProcesses(
      [
        proc({ appKey: 'fg', importance: 'foreground', isForeground: true }),
        proc({ appKey: 'prot', priority: 'protected' }),
        proc({ appKey: 'sys', importance: 'system' }),
        proc({ appKey: 'self', untouchable: 'the agent itself' }),
        proc({ appKey: 'ok' }),
      ],
      MIN,
    );
    expect(ranked[0].process.appKey).toBe('ok');
    const blocked = Object.fromEntries(ranked.slice(1).map((r) => [r.process.appKey, r.why]));
    expect(blocked).toEqual({
      fg: 'not a candidate: foreground app',
      prot: 'not a candidate: protected by user priority',
      sys: 'not a candidate: system process',
      self: 'not a candidate: the agent itself',
    });
    expect(ranked.slice(1).every((r) => !r.eligible)).toBe(true);
  });

  it('maps oom_score_adj values to Android bands', () => {
    expect([-1000, -800, 0, 100, 200, 250, 500, 600, 700, 900, 999].map(bandForAdj)).toEqual([
      'system', 'persistent', 'foreground', 'visible', 'perceptible', 'perceptible', 'service', 'home', 'previous', 'cached', 'cached',
    ]);
  });
});
