// One decision in full: the signal's numbers, the ranked candidates, the action and outcome.
import type { DecisionRecord } from '../../../common/api/contract';
import { h } from '../dom.js';
import { bytes, dateTime, pct, time } from '../format.js';
import { formatReclaimKind } from '../../../common/format.js';
import { showDialog } from './dialog.js';

/** "reclaim anon pages of org.example.game (pid 1003)" */
export function describeDecision(d: DecisionRecord): string {
  return d.action === 'kill' ? `kill ${d.app} (pid ${d.pid})` : `${formatReclaimKind(d.kind, d.tier)} pages of ${d.app} (pid ${d.pid})`;
}

export function resultText(d: DecisionRecord): string {
  if (d.result === 'ok') return d.action === 'kill' ? 'killed' : `ok, ${bytes(d.reclaimedBytes)}`;
  return d.result;
}

export function showDecision(d: DecisionRecord): Promise<string> {
  const kv = (pairs: [string, string | number | null][]) =>
    h('dl', { class: 'kv' }, ...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null ? '–' : String(v))]));
  const chosen = d.candidates.findIndex((c) => c.pid === d.pid && c.app === d.app);
  const candidates = h(
    'table',
    { class: 'simple candidates', 'aria-label': 'Candidates' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'app'), h('th', { scope: 'col', class: 'num' }, 'pid'), h('th', { scope: 'col', class: 'num' }, 'score'), h('th', { scope: 'col' }, 'rank'), h('th', { scope: 'col' }, 'this decision'))),
    h(
      'tbody',
      {},
      ...d.candidates.map((c, i) =>
        h('tr', { class: i === chosen ? 'chosen' : '', 'aria-current': i === chosen ? 'true' : undefined },
          h('td', {}, i + 1), h('td', {}, c.app), h('td', { class: 'num' }, c.pid), h('td', { class: 'num' }, c.score ?? '–'), h('td', {}, c.why),
          h('td', { class: i === chosen ? 'verdict-chosen' : c.skipped ? 'verdict-skipped' : 'muted' }, candidateVerdict(d, c, i, chosen)))),
    ),
  );
  const content = h(
    'div',
    { class: 'decision-details' },
    h('p', {}, h('strong', {}, describeDecision(d)), ' — ', h('span', { class: `result-${d.result}` }, resultText(d))),
    h('p', { class: 'muted' }, whyText(d)),
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
        ['action', d.action === 'kill' ? 'kill' : `${formatReclaimKind(d.kind, d.tier)} (${d.mode})`],
        ['destination tier', d.tier],
        ['requested', bytes(d.requestedBytes)],
        ['reclaimed anon', bytes(d.reclaimedAnonBytes)],
        ['reclaimed file', bytes(d.reclaimedFileBytes)],
        ['result', d.result],
        ['message', d.message],
        ['duration', `${d.durationMs.toFixed(1)} ms`],
        ['decision latency', d.latencyUs === null ? null : `${d.latencyUs} µs`],
        ['dry run', d.dryRun ? 'yes' : 'no'],
        ['log id', d.id ? `#${d.id}` : null],
      ])),
    ),
    h('h3', {}, `Candidates (best victim first)`),
    d.candidates.length ? h('p', { class: 'muted' }, 'Ranked by importance (adj band), then time since last used, then size. The policy walks down the list and takes the first it may act on; each one above the chosen says why it was passed over.') : '',
    d.candidates.length ? candidates : h('p', { class: 'muted' }, 'None recorded (a manual action).'),
  );
  // Titled by what happened and when; the database id is a detail at the end.
  return showDialog(`${capitalise(describeDecision(d))} · ${time(d.ts)}`, content);
}

type Candidate = DecisionRecord['candidates'][number];

/** What this decision made of one candidate: chosen, skipped (the policy's reason), or why not said. */
export function candidateVerdict(d: DecisionRecord, c: Candidate, index: number, chosen: number): string {
  if (index === chosen) return d.action === 'kill' ? '✔ chosen: killed' : '✔ chosen';
  if (c.skipped) return `skipped because ${c.skipped}`;
  if (chosen >= 0 && index > chosen) return 'ranked below the chosen one';
  if (d.action === 'kill') return 'not the kill victim: the kill weighs size, adj and growth, not rank alone';
  if (c.eligible) return 'acted on by another action of the same signal';
  return 'not looked at';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The reason as it reads for the outcome: a planned reclaim that was refused or failed did
 * not reclaim anything, whatever the plan said.
 */
export function whyText(d: DecisionRecord): string {
  if (d.result === 'ok' || d.result === 'dry-run') return d.reason;
  return `not done (${d.result}${d.message ? `: ${d.message}` : ''}); it was planned because ${d.reason}`;
}
