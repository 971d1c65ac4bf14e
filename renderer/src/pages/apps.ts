// Apps: the ranked process list (best victim first), searchable and sortable, with the
// user's priority per app and a manual reclaim that names the app before it acts.
import type { DecisionRecord, PriorityInfo, ProcessList, ProcessRow } from '../../../common/api/contract';
import { ApiError } from '../api-client.js';
import { RECLAIM_KINDS, USER_PRIORITIES, type ReclaimKind, type UserPriority } from '../../../common/vocabulary.js';
import type { AppContext, Page } from '../page';
import { confirmAction, showDialog } from '../components/dialog.js';
import { Chart } from '../components/chart.js';
import { describeDecision, resultText, showDecision } from '../components/decision-details.js';
import { setText, VirtualTable, type Column } from '../components/virtual-table.js';
import { h, toast } from '../dom.js';
import { bytes, time } from '../format.js';
import { glossary, TERMS } from '../components/glossary.js';
import { sparkline } from '../components/sparkline.js';

const RATES: [string, number][] = [['10 per second', 100], ['every second', 1000], ['every 5 s', 5000], ['paused', 0]];

// Each process keeps its memory over this many updates (five minutes at the default refresh
// of a second) for its sparkline and detail chart, and at most this many processes are
// tracked: 2,000 × 300 samples stays within a few tens of MiB in the page.
const TREND_POINTS = 300;
const TREND_PROCESSES = 2000;
/** The sparkline shows the most recent part of the trend: two minutes at a second. */
const SPARK_POINTS = 120;

interface TrendSample {
  t: number;
  anon: number;
  file: number;
  swap: number;
}

export function createAppsPage(ctx: AppContext): Page {
  const trends = new Map<string, TrendSample[]>();
  const recordTrends = (at: number, rows: ProcessRow[]) => {
    const seen = new Set<string>();
    for (const r of rows) {
      const key = `${r.pid}:${r.startTime}`;
      seen.add(key);
      let t = trends.get(key);
      if (!t) {
        if (trends.size >= TREND_PROCESSES) continue;
        trends.set(key, (t = []));
      }
      t.push({ t: at, anon: r.rssAnonBytes, file: r.rssFileBytes, swap: r.swapBytes });
      if (t.length > TREND_POINTS) t.shift();
    }
    for (const key of trends.keys()) if (!seen.has(key)) trends.delete(key);
  };
  const sums = (key: string) => (trends.get(key) ?? []).slice(-SPARK_POINTS).map((x) => x.anon + x.file + x.swap);
  let unsubscribe: (() => void) | null = null;
  let latest: ProcessRow[] = [];
  let query = '';
  /** Priorities just chosen here, shown until the daemon's list reflects them. */
  const pending = new Map<string, string>();
  const storedList = h('div');
  /** Apps with a priority stored in the database (the rest come from the host). */
  let stored = new Set<string>();
  /** Updates received and rendered, for the frame-time benchmark. */
  const stats = { updates: 0 };

  const setPriority = async (appKey: string, priority: string) => {
    pending.set(appKey, priority);
    try {
      await ctx.api.call('priorities.set', { appKey, priority: priority as UserPriority });
      toast(`${appKey}: priority ${priority}`);
      void loadStored();
    } catch (err) {
      pending.delete(appKey);
      toast(`Could not set the priority of ${appKey}: ${(err as Error).message}`, 'error');
    }
  };

  const reclaim = async (row: ProcessRow, kind: ReclaimKind) => {
    const what = kind === 'all' ? 'all pages' : kind === 'demote' ? 'cold pages' : `${kind} pages`;
    const verb = kind === 'demote' ? 'Demote' : 'Reclaim';
    const effect =
      kind === 'file' ? 'file pages are dropped and re-read later'
        : kind === 'demote' ? 'cold pages move to a slower memory tier, still mapped (refused where the machine has none)'
          : 'memory is compressed into swap and faulted back in when used';
    const ok = await confirmAction(`${verb} ${what} of ${row.appKey}?`, `${verb} ${what} of ${row.appKey} (pid ${row.pid}) now? Its ${effect}.`, `${verb}${kind === 'demote' ? '' : ` ${kind}`}`);
    if (!ok) return;
    const before = latest.find((r) => r.pid === row.pid && r.startTime === row.startTime) ?? row;
    try {
      const d = await ctx.api.call('reclaim.manual', { pid: row.pid, kind });
      if (d.result !== 'ok') {
        toast(`${row.appKey}: ${d.result} — ${d.message}`, d.result === 'dry-run' ? 'info' : 'error');
        return;
      }
      // Before and after, as the process list reads them: what moved, not only what the kernel reported.
      const after = (await ctx.api.call('processes', {})).processes.find((r) => r.pid === row.pid && r.startTime === row.startTime);
      const change = (label: string, a: number, b: number | undefined) => `${label} ${bytes(a)} → ${b === undefined ? 'gone' : bytes(b)}`;
      toast(`${row.appKey}: ok, ${bytes(d.reclaimedBytes)} reclaimed (anon ${bytes(d.reclaimedAnonBytes)}, file ${bytes(d.reclaimedFileBytes)}). ` +
        `${change('RSS anon', before.rssAnonBytes, after?.rssAnonBytes)}, ${change('RSS file', before.rssFileBytes, after?.rssFileBytes)}, ${change('swap', before.swapBytes, after?.swapBytes)}.`);
    } catch (err) {
      toast(`Reclaim of ${row.appKey} failed: ${(err as Error).message}`, 'error');
    }
  };

  /** One app in full: its memory over the time this page has watched it, its decisions marked on it and listed. */
  const showAppDetail = async (row: ProcessRow) => {
    const key = `${row.pid}:${row.startTime}`;
    const box = h('div');
    const list = h('div', {}, h('p', { class: 'muted' }, 'Loading its decisions…'));
    let decisions: DecisionRecord[] = [];
    const chart = new Chart(box, {
      title: `${row.appKey} (pid ${row.pid}): resident anon, file and swap`,
      series: [
        { label: 'anon', color: '--anon', value: (v) => bytes(v) },
        { label: 'file', color: '--file', value: (v) => bytes(v) },
        { label: 'swap', color: '--zram', dash: [6, 3], value: (v) => bytes(v) },
      ],
      yFormat: (v) => bytes(v),
      legendFollowsLatest: true,
      markers: () => decisions.map((d) => ({ t: d.ts / 1000, id: d.id, label: `${time(d.ts)} ${describeDecision(d)}: ${resultText(d)}`, color: d.action === 'kill' ? '--critical' : '--accent' })),
      onMarker: (m) => void ctx.api.call('history.get', { id: m.id! }).then(showDecision, (err: Error) => toast(err.message, 'error')),
    });
    const draw = () => {
      const t = trends.get(key) ?? [];
      chart.setData([t.map((x) => x.t / 1000), t.map((x) => x.anon), t.map((x) => x.file), t.map((x) => x.swap)]);
    };
    const timer = setInterval(draw, 1000);
    const content = h('div', { class: 'app-detail' },
      h('p', { class: 'muted' }, `${row.band} · adj ${row.effectiveAdj} · priority ${row.priority}. ${row.why}.`),
      box,
      h('h3', {}, 'Its decisions'),
      list);
    const closed = showDialog(`${row.appKey}`, content);
    draw();
    try {
      const page = await ctx.api.call('history.query', { app: row.appKey, limit: 50, summary: true });
      decisions = page.rows;
      draw();
      list.replaceChildren(decisions.length
        ? h('ul', { class: 'plain' }, ...decisions.map((d) => h('li', {}, `${time(d.ts)} ${describeDecision(d)} → `, h('span', { class: `result-${d.result}` }, resultText(d)))))
        : h('p', { class: 'muted' }, 'No decisions about this app yet.'));
    } catch (err) {
      list.replaceChildren(h('p', { class: 'bad' }, (err as Error).message));
    }
    await closed;
    clearInterval(timer);
    chart.destroy();
  };

  const num = (f: (r: ProcessRow) => number) => (a: ProcessRow, b: ProcessRow) => f(a) - f(b);
  const columns: Column<ProcessRow>[] = [
    { key: 'rank', label: 'Rank', width: '56px', num: true, hideOrder: 5, help: 'Best reclaim candidate first: by importance, then time since last used, then size.', compare: num((r) => r.rank), render: (r, c) => setText(c, String(r.rank)) },
    { key: 'app', label: 'App', width: 'minmax(140px, 1.4fr)', compare: (a, b) => a.appKey.localeCompare(b.appKey), render: (r, c) => {
        let b = c.firstElementChild as HTMLButtonElement | null;
        if (!b) {
          b = h('button', { type: 'button', class: 'link' });
          b.addEventListener('click', () => {
            const row = (c.parentElement as HTMLElement & { row?: ProcessRow }).row;
            if (row) void showAppDetail(row);
          });
          c.append(b);
        }
        setText(b, `${r.foreground ? '● ' : ''}${r.appKey}`);
        b.title = `${r.foreground ? 'Foreground app. ' : ''}${r.why}. Click for its memory over time and its decisions.`;
        b.setAttribute('aria-label', `Details of ${r.appKey}`);
      } },
    { key: 'trend', label: 'Memory', width: '84px', hideOrder: 8, help: `RSS + swap over the last ${SPARK_POINTS} updates`, render: (r, c) => sparkline(c, sums(`${r.pid}:${r.startTime}`)) },
    { key: 'pid', label: 'PID', width: '70px', num: true, hideOrder: 6, compare: num((r) => r.pid), render: (r, c) => setText(c, String(r.pid)) },
    {
      key: 'band', label: 'Importance', width: '150px', hideOrder: 4, help: TERMS.importance, compare: num((r) => r.effectiveAdj),
      render: (r, c) => {
        setText(c, `${r.band} · adj ${r.effectiveAdj}`);
        c.title = r.effectiveAdj === r.adj ? `oom_score_adj ${r.adj}` : `effective adj ${r.effectiveAdj} (band ${r.band}, priority ${r.priority}); the process's own oom_score_adj is ${r.adj}`;
      },
    },
    {
      key: 'priority',
      label: 'Priority',
      width: '120px',
      hideOrder: 2,
      compare: (a, b) => USER_PRIORITIES.indexOf(a.priority) - USER_PRIORITIES.indexOf(b.priority),
      render: (r, c) => {
        let select = c.firstElementChild as HTMLSelectElement | null;
        if (!select) {
          select = h('select', { 'aria-label': 'Priority' }, ...USER_PRIORITIES.map((p) => h('option', { value: p }, p)));
          select.addEventListener('change', () => void setPriority(select!.dataset.app!, select!.value));
          c.append(select);
        }
        select.dataset.app = r.appKey;
        select.setAttribute('aria-label', `Priority of ${r.appKey}`);
        const value = pending.get(r.appKey) ?? r.priority;
        if (pending.get(r.appKey) === r.priority) pending.delete(r.appKey);
        if (select.value !== value && document.activeElement !== select) select.value = value;
        // A priority nobody stored here comes from the host (a scenario, a cgroup): say so.
        select.title = value !== 'normal' && !stored.has(r.appKey) && !pending.has(r.appKey) ? `${value}: set by the host, not by a stored priority` : '';
      },
    },
    { key: 'anon', label: 'RSS anon', width: '90px', num: true, hideOrder: 3, help: TERMS.anon, compare: num((r) => r.rssAnonBytes), render: (r, c) => setText(c, bytes(r.rssAnonBytes)) },
    { key: 'file', label: 'RSS file', width: '90px', num: true, hideOrder: 7, help: TERMS.file, compare: num((r) => r.rssFileBytes), render: (r, c) => setText(c, bytes(r.rssFileBytes)) },
    { key: 'swap', label: 'Swap', width: '90px', num: true, hideOrder: 7.5, compare: num((r) => r.swapBytes), render: (r, c) => setText(c, bytes(r.swapBytes)) },
    {
      key: 'last',
      label: 'Last action',
      width: 'minmax(200px, 2fr)',
      hideOrder: 9,
      compare: num((r) => r.lastAction?.ts ?? 0),
      render: (r, c) => {
        const a = r.lastAction;
        setText(c, a ? `${time(a.ts)} ${a.action === 'kill' ? 'kill' : a.kind}: ${a.result}${a.result === 'ok' && a.action !== 'kill' ? ` ${bytes(a.reclaimedBytes)}` : ''}` : '–');
        c.className = a ? `result-${a.result}` : 'muted';
      },
    },
    {
      key: 'actions',
      label: 'Reclaim',
      // Four kinds' buttons (file, anon, all, demote) in one row, and still no sideways scroll at 360 px.
      width: '184px',
      render: (r, c) => {
        if (!c.firstElementChild) {
          c.className = 'actions';
          for (const kind of RECLAIM_KINDS) {
            const b = h('button', { type: 'button', 'data-kind': kind }, kind);
            b.addEventListener('click', () => {
              const row = (c.parentElement as HTMLElement & { row?: ProcessRow }).row;
              if (row) void reclaim(row, kind);
            });
            c.append(b);
          }
        }
        // Foreground, protected and system processes are refused by the daemon: say so before, not after.
        const why = r.eligible ? '' : r.why.replace(/^not a candidate: /, '');
        for (const b of c.children) {
          (b as HTMLButtonElement).disabled = !r.eligible;
          b.setAttribute('aria-label', (b as HTMLElement).dataset.kind === 'demote' ? `Demote cold pages of ${r.appKey} to a slower tier` : `Reclaim ${(b as HTMLElement).dataset.kind} pages of ${r.appKey}`);
          (b as HTMLElement).title = why ? `Not reclaimable: ${why}` : '';
        }
      },
    },
  ];
  const table = new VirtualTable<ProcessRow>({ columns, label: 'Processes, best reclaim candidate first', initialSort: { key: 'rank', descending: false } });
  const count = h('span', { class: 'muted' });

  const show = () => {
    const q = query.toLowerCase();
    const rows = q ? latest.filter((r) => r.appKey.toLowerCase().includes(q) || String(r.pid) === q || r.name.toLowerCase().includes(q)) : latest;
    table.setRows(rows);
    count.textContent = `${rows.length} of ${latest.length} processes`;
  };

  const loadStored = async () => {
    let list: PriorityInfo[];
    try {
      list = await ctx.api.call('priorities.list', {});
      stored = new Set(list.map((p) => p.appKey));
    } catch (err) {
      storedList.replaceChildren(h('p', { class: 'bad' }, (err as ApiError).message));
      return;
    }
    storedList.replaceChildren(
      list.length
        ? h('table', { class: 'simple', 'aria-label': 'Stored priorities' },
            h('thead', {}, h('tr', {}, h('th', {}, 'App'), h('th', {}, 'Priority'), h('th', {}, 'Set'), h('th', {}, 'Action'))),
            h('tbody', {}, ...list.map((p) => h('tr', {}, h('td', {}, p.appKey), h('td', {}, p.priority), h('td', {}, new Date(p.updatedAt).toLocaleString()),
              h('td', {}, h('button', { type: 'button', 'aria-label': `Clear the priority of ${p.appKey}`, onclick: async () => { await ctx.api.call('priorities.clear', { appKey: p.appKey }); pending.delete(p.appKey); void loadStored(); } }, 'Clear'))))))
        : h('p', { class: 'muted' }, 'No priorities set: every app ranks by its importance.'),
    );
  };

  const subscribe = (intervalMs: number) => {
    unsubscribe?.();
    unsubscribe = null;
    if (intervalMs === 0) return;
    unsubscribe = ctx.api.subscribe(['processes'], (m) => {
      if (m.stream !== 'processes') return;
      latest = (m.data as ProcessList).processes;
      recordTrends(Date.now(), latest);
      stats.updates++;
      show();
    }, intervalMs);
  };

  return {
    mount(container) {
      const search = h('input', { type: 'search', placeholder: 'app, name or pid', 'aria-label': 'Search processes' });
      search.addEventListener('input', () => {
        query = search.value.trim();
        show();
      });
      const rate = h('select', { 'aria-label': 'Refresh rate' }, ...RATES.map(([label, ms]) => h('option', { value: ms }, label)));
      const wanted = new URLSearchParams(location.hash.split('?')[1] ?? '').get('rate');
      rate.value = RATES.some(([, ms]) => String(ms) === wanted) ? wanted! : '1000';
      rate.addEventListener('change', () => subscribe(Number(rate.value)));
      container.append(
        h('h1', {}, 'Apps'),
        h('div', { class: 'toolbar' }, h('label', {}, 'Search', search), h('label', {}, 'Refresh', rate), count),
        table.element,
        h('section', { class: 'panel', style: 'margin-top:16px' }, h('h2', {}, 'Stored priorities'), storedList),
        glossary(['importance', 'adj', 'foreground', 'previous', 'cached', 'anon', 'file', 'demote']),
      );
      table.element.classList.add('apps-table');
      // The frame-time benchmark (bench/ui-frame-probe.js) reads render times and update counts here.
      (window as unknown as { reclaimdAppsTable?: unknown }).reclaimdAppsTable = { table, stats };
      subscribe(Number(rate.value));
      void ctx.api.call('processes', {}).then((p) => {
        if (stats.updates === 0) {
          latest = p.processes;
          show();
        }
      });
      void loadStored();
    },
    unmount() {
      unsubscribe?.();
    },
  };
}
