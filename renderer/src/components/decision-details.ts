// One decision in full: the signal's numbers, the ranked candidates, the action and outcome.
import type { DecisionRecord } from '../../../main/api/contract';
import { h } from '../dom.js';
import { bytes, dateTime, pct } from '../format.js';
import { showDialog } from './dialog.js';

/** "reclaim anon pages of org.example.game (pid 1003)" */
export function describeDecision(d: DecisionRecord): string {
  return d.action === 'kill' ? `kill ${d.app} (pid ${d.pid})` : `reclaim ${d.kind} pages of ${d.app} (pid ${d.pid})`;
}

export function resultText(d: DecisionRecord): string {
  if (d.result === 'ok') return d.action === 'kill' ? 'killed' : `ok, ${bytes(d.reclaimedBytes)}`;
  return d.result;
}

export function showDecision(d: DecisionRecord): Promise<string> {
  const kv = (pairs: [string, string | number | null][]) =>
    h('dl', { class: 'kv' }, ...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null ? '–' : String(v))]));
  const candidates = h(
    'table',
    { class: 'simple' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'app'), h('th', { class: 'num' }, 'pid'), h('th', { class: 'num' }, 'score'), h('th', {}, 'eligible'), h('th', {}, 'why'))),
    h(
      'tbody',
      {},
      ...d.candidates.map((c, i) =>
        h('tr', {}, h('td', {}, i + 1), h('td', {}, c.app), h('td', { class: 'num' }, c.pid), h('td', { class: 'num' }, c.score ?? '–'), h('td', {}, c.eligible ? 'yes' : 'no'), h('td', {}, c.why)),
      ),
    ),
  );
  const content = h(
    'div',
    { class: 'decision-details' },
    h('p', {}, h('strong', {}, describeDecision(d)), ' — ', h('span', { class: `result-${d.result}` }, resultText(d))),
    h('p', { class: 'muted' }, d.reason),
    h('div', { class: 'grid' },
      h('section', {}, h('h3', {}, 'Signal'), kv([
        ['time', dateTime(d.ts)],
        ['source', d.source],
        ['level', d.level],
        ['PSI some avg10', pct(d.psiSomeAvg10)],
        ['PSI full avg10', pct(d.psiFullAvg10)],
        ['PSI some / full in window', d.psiSomeWindowMs === null ? null : `${d.psiSomeWindowMs.toFixed(0)} / ${(d.psiFullWindowMs ?? 0).toFixed(0)} ms`],
        ['vmpressure', d.vmpressurePct === null ? null : `${d.vmpressurePct}%`],
        ['memory available', `${bytes(d.memAvailableBytes)} of ${bytes(d.memTotalBytes)}`],
        ['swap free', bytes(d.swapFreeBytes)],
      ])),
      h('section', {}, h('h3', {}, 'Outcome'), kv([
        ['policy', d.policy],
        ['host', d.host],
        ['action', d.action === 'kill' ? 'kill' : `reclaim ${d.kind} (${d.mode})`],
        ['requested', bytes(d.requestedBytes)],
        ['reclaimed anon', bytes(d.reclaimedAnonBytes)],
        ['reclaimed file', bytes(d.reclaimedFileBytes)],
        ['result', d.result],
        ['message', d.message],
        ['duration', `${d.durationMs.toFixed(1)} ms`],
        ['decision latency', d.latencyUs === null ? null : `${d.latencyUs} µs`],
        ['dry run', d.dryRun ? 'yes' : 'no'],
      ])),
    ),
    h('h3', {}, `Candidates (best victim first)`),
    d.candidates.length ? candidates : h('p', { class: 'muted' }, 'None recorded (a manual action).'),
  );
  return showDialog(`Decision${d.id ? ` #${d.id}` : ''}`, content);
}
