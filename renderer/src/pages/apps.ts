// Apps: the ranked process list (best victim first), searchable and sortable, with the
// user's priority per app and a manual reclaim that names the app before it acts.
import type { PriorityInfo, ProcessList, ProcessRow } from '../../../main/api/contract';
import { ApiCallError } from '../api-client.js';
import type { AppContext, Page } from '../app';
import { confirmAction } from '../components/dialog.js';
import { setText, VirtualTable, type Column } from '../components/virtual-table.js';
import { h, toast } from '../dom.js';
import { bytes, time } from '../format.js';

const PRIORITIES = ['protected', 'high', 'normal', 'low', 'expendable'] as const;
const KINDS = ['file', 'anon', 'all'] as const;
const RATES: [string, number][] = [['10 per second', 100], ['every second', 1000], ['every 5 s', 5000], ['paused', 0]];

export function createAppsPage(ctx: AppContext): Page {
  let unsubscribe: (() => void) | null = null;
  let latest: ProcessRow[] = [];
  let query = '';
  /** Priorities just chosen here, shown until the daemon's list reflects them. */
  const pending = new Map<string, string>();
  const storedList = h('div');
  /** Updates received and rendered, for the frame-time benchmark. */
  const stats = { updates: 0 };

  const setPriority = async (appKey: string, priority: string) => {
    pending.set(appKey, priority);
    try {
      await ctx.api.call('priorities.set', { appKey, priority: priority as (typeof PRIORITIES)[number] });
      toast(`${appKey}: priority ${priority}`);
      void loadStored();
    } catch (err) {
      pending.delete(appKey);
      toast(`Could not set the priority of ${appKey}: ${(err as Error).message}`, 'error');
    }
  };

  const reclaim = async (row: ProcessRow, kind: (typeof KINDS)[number]) => {
    const what = kind === 'all' ? 'all pages' : `${kind} pages`;
    const ok = await confirmAction(`Reclaim ${what} of ${row.appKey}?`, `Reclaim ${what} of ${row.appKey} (pid ${row.pid}) now? Its ${kind === 'file' ? 'file pages are dropped and re-read later' : 'memory is compressed into swap and faulted back in when used'}.`, `Reclaim ${kind}`);
    if (!ok) return;
    try {
      const d = await ctx.api.call('reclaim.manual', { pid: row.pid, kind });
      toast(`${row.appKey}: ${d.result}${d.result === 'ok' ? `, ${bytes(d.reclaimedBytes)} reclaimed` : ` — ${d.message}`}`, d.result === 'ok' || d.result === 'dry-run' ? 'info' : 'error');
    } catch (err) {
      toast(`Reclaim of ${row.appKey} failed: ${(err as Error).message}`, 'error');
    }
  };

  const num = (f: (r: ProcessRow) => number) => (a: ProcessRow, b: ProcessRow) => f(a) - f(b);
  const columns: Column<ProcessRow>[] = [
    { key: 'rank', label: 'Rank', width: '56px', num: true, compare: num((r) => r.rank), render: (r, c) => setText(c, String(r.rank)) },
    { key: 'app', label: 'App', width: 'minmax(140px, 1.4fr)', compare: (a, b) => a.appKey.localeCompare(b.appKey), render: (r, c) => { setText(c, `${r.foreground ? '● ' : ''}${r.appKey}`); c.title = r.why; } },
    { key: 'pid', label: 'PID', width: '70px', num: true, compare: num((r) => r.pid), render: (r, c) => setText(c, String(r.pid)) },
    { key: 'band', label: 'Importance', width: '130px', compare: num((r) => r.adj), render: (r, c) => setText(c, `${r.band} (${r.adj})`) },
    {
      key: 'priority',
      label: 'Priority',
      width: '120px',
      compare: (a, b) => PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority),
      render: (r, c) => {
        let select = c.firstElementChild as HTMLSelectElement | null;
        if (!select) {
          select = h('select', { 'aria-label': 'Priority' }, ...PRIORITIES.map((p) => h('option', { value: p }, p)));
          select.addEventListener('change', () => void setPriority(select!.dataset.app!, select!.value));
          c.append(select);
        }
        select.dataset.app = r.appKey;
        select.setAttribute('aria-label', `Priority of ${r.appKey}`);
        const value = pending.get(r.appKey) ?? r.priority;
        if (pending.get(r.appKey) === r.priority) pending.delete(r.appKey);
        if (select.value !== value && document.activeElement !== select) select.value = value;
      },
    },
    { key: 'anon', label: 'RSS anon', width: '90px', num: true, compare: num((r) => r.rssAnonBytes), render: (r, c) => setText(c, bytes(r.rssAnonBytes)) },
    { key: 'file', label: 'RSS file', width: '90px', num: true, compare: num((r) => r.rssFileBytes), render: (r, c) => setText(c, bytes(r.rssFileBytes)) },
    { key: 'swap', label: 'Swap', width: '90px', num: true, compare: num((r) => r.swapBytes), render: (r, c) => setText(c, bytes(r.swapBytes)) },
    {
      key: 'last',
      label: 'Last action',
      width: 'minmax(200px, 2fr)',
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
      width: '150px',
      render: (r, c) => {
        if (!c.firstElementChild) {
          c.className = 'actions';
          for (const kind of KINDS) {
            const b = h('button', { type: 'button', 'data-kind': kind }, kind);
            b.addEventListener('click', () => {
              const row = (c.parentElement as HTMLElement & { row?: ProcessRow }).row;
              if (row) void reclaim(row, kind);
            });
            c.append(b);
          }
        }
        for (const b of c.children) {
          (b as HTMLButtonElement).disabled = r.eligible === false && r.why.startsWith('never');
          b.setAttribute('aria-label', `Reclaim ${(b as HTMLElement).dataset.kind} pages of ${r.appKey}`);
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
    } catch (err) {
      storedList.replaceChildren(h('p', { class: 'bad' }, (err as ApiCallError).message));
      return;
    }
    storedList.replaceChildren(
      list.length
        ? h('table', { class: 'simple', 'aria-label': 'Stored priorities' },
            h('thead', {}, h('tr', {}, h('th', {}, 'App'), h('th', {}, 'Priority'), h('th', {}, 'Set'), h('th', {}, ''))),
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
        h('h2', {}, 'Apps'),
        h('div', { class: 'toolbar' }, h('label', {}, 'Search', search), h('label', {}, 'Refresh', rate), count),
        table.element,
        h('section', { class: 'panel', style: 'margin-top:16px' }, h('h3', {}, 'Stored priorities'), storedList),
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
