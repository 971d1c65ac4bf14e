// History: the decision log with filters, paged by keyset as the list scrolls (smooth at a
// million rows: only visible rows exist in the DOM, each page is an index walk), per-app
// totals, reclaimed over time, CSV export, and any row in full.
import type { AppTotalsInfo, DecisionRecord, MethodParams, RecordingInfo } from '../../../common/api/contract';
import { ACTION_RESULTS, ACTION_TYPES, KILL_REASONS, PRESSURE_LEVELS, RECLAIM_KINDS } from '../../../common/vocabulary.js';
import { formatReclaimKind } from '../../../common/format.js';
import type { AppContext, Page } from '../page';
import { Chart } from '../components/chart.js';
import { resultText, showDecision, whyText } from '../components/decision-details.js';
import { setText, VirtualTable, type Column } from '../components/virtual-table.js';
import { h, toast } from '../dom.js';
import { bytes, dateTime, duration, fromLocalInput } from '../format.js';

type Filter = MethodParams<'history.query'>;
const PAGE = 500;
const RANGES: [string, number][] = [['15 min', 15 * 60_000], ['hour', 3_600_000], ['day', 86_400_000], ['week', 7 * 86_400_000]];

export function createHistoryPage(ctx: AppContext): Page {
  let filter: Filter = {};
  let rows: DecisionRecord[] = [];
  let next: string | null = null;
  let loading = false;
  let generation = 0;
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  const totals = h('div');
  const chartBox = h('div');
  let chart: Chart | null = null;
  let hourly: { hour: number; reclaimedAnonBytes: number; reclaimedFileBytes: number; kills: number }[] = [];
  const recordingsBox = h('div');

  /** What the live agent recorded (issue 17): one click replays a recording on the Replay page. */
  const loadRecordings = async () => {
    try {
      const list: RecordingInfo[] = await ctx.api.call('recordings.list', { limit: 50 });
      recordingsBox.replaceChildren(
        list.length === 0
          ? h('p', { class: 'muted' }, 'No recordings yet. The live agent records with "reclaimd run --record", or with Record on in Settings when it runs on this machine (serve --host linux).')
          : h('table', { class: 'simple', 'aria-label': 'Recordings' },
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Started'), h('th', { scope: 'col' }, 'Length'), h('th', { scope: 'col' }, 'Where'),
                h('th', { scope: 'col' }, 'Policy'), h('th', { scope: 'col', class: 'num' }, 'Processes'), h('th', { scope: 'col', class: 'num' }, 'Decisions'), h('th', { scope: 'col' }, 'Replay'))),
              h('tbody', {}, ...list.map((r) =>
                h('tr', {}, h('td', {}, r.id), h('td', {}, dateTime(r.startedAt)), h('td', {}, r.endedAt === null ? 'recording…' : duration(r.endedAt - r.startedAt)),
                  h('td', { title: r.stopReason ? `stopped early: ${r.stopReason}` : '' }, `${r.host}${r.scope ? ` ${r.scope}` : ''}${r.stopReason ? ' (stopped early)' : ''}`),
                  h('td', {}, r.policy), h('td', { class: 'num' }, r.processes), h('td', { class: 'num' }, r.decisions),
                  h('td', {}, h('a', { href: `#replay?recording=${r.id}`, class: 'button', 'aria-label': `Replay recording ${r.id} under chosen policies` }, 'Replay…')))))),
      );
    } catch (err) {
      recordingsBox.replaceChildren(h('p', { class: 'bad' }, `Recordings: ${(err as Error).message}`));
    }
  };

  const columns: Column<DecisionRecord>[] = [
    { key: 'ts', label: 'Time', width: '170px', render: (r, c) => setText(c, dateTime(r.ts)) },
    { key: 'app', label: 'App', width: 'minmax(120px, 1.5fr)', render: (r, c) => setText(c, `${r.app} (${r.pid})`) },
    { key: 'what', label: 'Action', width: '110px', hideOrder: 3, render: (r, c) => setText(c, r.action === 'kill' ? 'kill' : formatReclaimKind(r.kind, r.tier)) },
    { key: 'level', label: 'Level', width: '110px', hideOrder: 5, render: (r, c) => { setText(c, `${r.source}/${r.level}`); c.title = `${r.source}/${r.level}`; } },
    { key: 'policy', label: 'Policy', width: '80px', hideOrder: 6, render: (r, c) => setText(c, r.policy) },
    { key: 'result', label: 'Result', width: '100px', hideOrder: 2, render: (r, c) => { setText(c, resultText(r)); c.className = `result-${r.result}`; } },
    { key: 'reason', label: 'Why', width: 'minmax(200px, 3fr)', hideOrder: 4, render: (r, c) => { const why = whyText(r); setText(c, why); c.title = why; } },
  ];
  const table = new VirtualTable<DecisionRecord>({
    columns,
    label: 'Decision history, newest first',
    onRowActivate: (r) => void ctx.api.call('history.get', { id: r.id }).then(showDecision, (err: Error) => toast(err.message, 'error')),
    onNearEnd: () => void loadMore(),
  });

  const loadMore = async () => {
    if (loading || (rows.length > 0 && next === null)) return;
    loading = true;
    const mine = generation;
    try {
      const page = await ctx.api.call('history.query', { ...filter, limit: PAGE, summary: true, ...(next ? { after: next } : {}) });
      if (mine !== generation) return;
      rows = rows.concat(page.rows);
      next = page.next;
      table.setRows(rows);
      count.textContent = `${rows.length}${next ? '+' : ''} decisions`;
    } catch (err) {
      toast(`History: ${(err as Error).message}`, 'error');
    } finally {
      if (mine === generation) loading = false;
    }
  };

  const reload = () => {
    generation++;
    loading = false;
    rows = [];
    next = null;
    table.setRows(rows);
    count.textContent = 'loading…';
    void loadMore();
    void loadTotals();
  };

  const loadTotals = async () => {
    // The totals and the chart follow every filter the rows follow.
    const { after: _after, limit: _limit, summary: _summary, ...range } = filter;
    try {
      const [t, hrs] = await Promise.all([ctx.api.call('history.totals', range), ctx.api.call('history.hourly', range)]);
      hourly = hrs;
      totals.replaceChildren(totalsTable(t));
      chart?.setData([hrs.map((x) => x.hour / 1000), hrs.map((x) => x.reclaimedAnonBytes + x.reclaimedFileBytes), hrs.map((x) => x.reclaimedFileBytes)]);
    } catch (err) {
      totals.replaceChildren(h('p', { class: 'bad' }, (err as Error).message));
    }
  };

  const totalsTable = (t: AppTotalsInfo[]) =>
    t.length === 0
      ? h('p', { class: 'muted' }, 'No decisions match these filters.')
      : h('table', { class: 'simple', 'aria-label': 'Totals per app' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'App'), h('th', { scope: 'col', class: 'num' }, 'Reclaims'), h('th', { scope: 'col', class: 'num' }, 'Kills'),
            h('th', { scope: 'col', class: 'num', title: 'Attempts not done: refused, denied, failed, process gone, unsupported or a dry run' }, 'Not done'),
            h('th', { scope: 'col', class: 'num' }, 'Anon'), h('th', { scope: 'col', class: 'num' }, 'File'))),
          h('tbody', {}, ...t.slice(0, 50).map((a) =>
            h('tr', {}, h('td', {}, h('button', { type: 'button', class: 'icon-button', 'aria-label': `Show only ${a.app}`, onclick: () => setApp(a.app) }, a.app)),
              h('td', { class: 'num' }, a.reclaims), h('td', { class: 'num' }, a.kills), h('td', { class: 'num' }, a.notDone),
              h('td', { class: 'num' }, bytes(a.reclaimedAnonBytes)), h('td', { class: 'num' }, bytes(a.reclaimedFileBytes))))));

  const appInput = h('input', { type: 'search', name: 'app', placeholder: 'any app (part of its name)', 'aria-label': 'App', title: 'Apps whose name contains this, upper or lower case alike' });
  const setApp = (app: string) => {
    appInput.value = app;
    apply();
  };
  const since = h('input', { type: 'datetime-local', name: 'since', 'aria-label': 'From' });
  const until = h('input', { type: 'datetime-local', name: 'until', 'aria-label': 'Until' });
  const select = (name: string, label: string, values: readonly string[]) =>
    h('select', { name, 'aria-label': label }, h('option', { value: '' }, 'any'), ...values.map((v) => h('option', { value: v }, v)));
  const kind = select('kind', 'Kind', RECLAIM_KINDS);
  const action = select('action', 'Action', ACTION_TYPES);
  const level = select('level', 'Level', PRESSURE_LEVELS);
  const result = select('result', 'Result', ACTION_RESULTS);
  const killReason = select('killReason', 'Kill reason', KILL_REASONS);
  const scope = h('select', { name: 'scope', 'aria-label': 'Source' }, h('option', { value: 'live' }, 'live agent'), h('option', { value: 'all' }, 'live and replays'));

  /** A preset range: from `ms` ago until now (the From / Until fields show it). */
  const setRange = (ms: number) => {
    const local = (t: number) => {
      const d = new Date(t - new Date(t).getTimezoneOffset() * 60_000);
      return d.toISOString().slice(0, 16);
    };
    since.value = local(Date.now() - ms);
    until.value = '';
    apply();
  };

  const apply = () => {
    const f: Filter = {};
    const s = fromLocalInput(since.value);
    const u = fromLocalInput(until.value);
    if (s !== undefined) f.since = s;
    if (u !== undefined) f.until = u;
    // Part of a name finds every app containing it ("chro" → org.chromium.chrome).
    if (appInput.value.trim()) f.appContains = appInput.value.trim();
    if (kind.value) f.kind = kind.value as Filter['kind'];
    if (action.value) f.action = action.value as Filter['action'];
    if (level.value) f.level = level.value as Filter['level'];
    if (result.value) f.result = result.value as Filter['result'];
    if (killReason.value) f.killReason = killReason.value as Filter['killReason'];
    if (scope.value === 'live') f.runId = null;
    filter = f;
    reload();
  };

  const exportCsv = async () => {
    try {
      const { after: _after, limit: _limit, summary: _summary, ...rest } = filter;
      const out = await ctx.api.call('history.export', rest);
      const url = URL.createObjectURL(new Blob([out.csv], { type: 'text/csv' }));
      const a = h('a', { href: url, download: `reclaimd-history-${new Date().toISOString().slice(0, 19)}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      toast(`Exported ${out.rows} decisions${out.truncated ? ' (the first 100,000: narrow the filter for the rest)' : ''}`);
    } catch (err) {
      toast(`Export failed: ${(err as Error).message}`, 'error');
    }
  };

  return {
    mount(container) {
      const form = h('form', { class: 'toolbar', 'aria-label': 'Filters' },
        h('label', {}, 'From', since), h('label', {}, 'Until', until), h('label', {}, 'App', appInput), h('label', {}, 'Kind', kind),
        h('label', {}, 'Action', action), h('label', {}, 'Level', level), h('label', {}, 'Result', result), h('label', {}, 'Kill reason', killReason), h('label', {}, 'Source', scope),
        h('button', { type: 'submit', class: 'primary' }, 'Apply'),
        h('button', { type: 'button', onclick: () => void exportCsv() }, 'Export CSV'),
        count,
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        apply();
      });
      table.element.classList.add('history-table');
      container.append(
        h('h1', {}, 'History'),
        form,
        h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Time range' }, h('span', { class: 'muted' }, 'Last'),
          ...RANGES.map(([label, ms]) => h('button', { type: 'button', onclick: () => setRange(ms) }, label))),
        table.element,
        h('div', { class: 'grid', style: 'margin-top:16px' },
          h('section', { class: 'panel' }, h('h2', {}, 'Per app'), totals),
          h('section', { class: 'panel' }, chartBox)),
        h('section', { class: 'panel', style: 'margin-top:16px' }, h('h2', {}, 'Recordings'), recordingsBox),
      );
      void loadRecordings();
      chart = new Chart(chartBox, {
        title: 'Reclaimed per hour',
        series: [
          { label: 'all reclaimed', color: '--anon', fill: true, bars: true, value: (_v, i) => bytes((hourly[i]?.reclaimedAnonBytes ?? 0) + (hourly[i]?.reclaimedFileBytes ?? 0)) },
          { label: 'file', color: '--file', fill: true, bars: true, value: (_v, i) => bytes(hourly[i]?.reclaimedFileBytes) },
        ],
        yFormat: (v) => bytes(v),
        hourly: true,
      });
      const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
      if (params.get('app')) appInput.value = params.get('app')!;
      apply();
      // #history?decision=ID opens one decision in full (links from elsewhere, and the tests).
      const id = Number(params.get('decision'));
      if (Number.isInteger(id) && id > 0) void ctx.api.call('history.get', { id }).then(showDecision, (err: Error) => toast(`Decision ${id}: ${err.message}`, 'error'));
    },
    unmount() {
      generation++;
      chart?.destroy();
    },
  };
}
