// The shell: pages, the status line and banners, the theme, and the live event stream that
// every page listens to. Pages are DOM-only modules that talk to the daemon through the API.
import type { DecisionRecord, StatusInfo, StreamMessage } from '../../common/api/contract';
import { connectApi } from './api-client.js';
import { createAppsPage } from './pages/apps.js';
import { createHistoryPage } from './pages/history.js';
import { createLivePage } from './pages/live.js';
import { createReplayPage } from './pages/replay.js';
import { createSettingsPage } from './pages/settings.js';
import { bytes } from './format.js';
import { h, toast } from './dom.js';
import { listKeys } from './components/roving.js';
import type { AppContext, Page } from './page.js';

const PAGES: Record<string, (ctx: AppContext) => Page> = {
  live: createLivePage,
  apps: createAppsPage,
  history: createHistoryPage,
  replay: createReplayPage,
  settings: createSettingsPage,
};

function start(): void {
  applyTheme(localStorage.getItem('reclaimd-theme'));
  const connection = document.getElementById('connection')!;
  const api = connectApi((connected, why) => {
    connection.hidden = connected;
    connection.textContent = why ?? '';
  });
  const listeners = new Set<(m: StreamMessage) => void>();
  let status: StatusInfo | null = null;
  const ctx: AppContext = {
    api,
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    status: () => status,
    refreshStatus: () => void api.call('status', {}).then((s) => showStatus(s), () => undefined),
  };
  const showStatus = (s: StatusInfo) => {
    status = s;
    const badge = document.getElementById('level-badge')!;
    badge.textContent = s.level;
    badge.className = `level ${s.level}`;
    document.getElementById('status-text')!.textContent = `${s.host} · ${s.policy} · ${s.decisions} decisions · ${s.kills} kills · ${bytes(s.reclaimedBytes)} reclaimed`;
    const banner = document.getElementById('banner')!;
    const text =
      s.mode === 'observe-only'
        ? `Observe-only: nothing is reclaimed or killed; decisions are logged as dry runs. ${s.limits.join(' ')}`
        : s.mode === 'dry-run'
          ? `Dry run: the agent decides and logs, and touches nothing. ${s.dryRunForcedBy ? `Forced by ${s.dryRunForcedBy}: restart reclaimd without it to turn it off.` : 'Turn it off in Settings.'} ${s.limits.join(' ')}`.trim()
          : s.limits.length
            ? s.limits.join(' ')
            : '';
    banner.hidden = text === '';
    // "Settings" in the banner is a link to the page where it is turned off.
    const parts = text.split(/(\bSettings\b)/);
    banner.replaceChildren(...parts.map((p) => (p === 'Settings' ? h('a', { href: '#settings' }, 'Settings') : p)));
    banner.dataset.mode = s.mode;
  };
  api.subscribe(['status', 'pressure', 'decision'], (m) => {
    if (m.stream === 'status') showStatus(m.data as StatusInfo);
    if (m.stream === 'decision') {
      // A kill is the one decision a person must not miss, whatever page is open.
      const d = m.data as DecisionRecord;
      if (d.action === 'kill' && d.result === 'ok') toast(`reclaimd killed ${d.app} (pid ${d.pid}): ${d.reason}`, 'error');
    }
    for (const l of listeners) l(m);
  });
  void api.call('status', {}).then(showStatus, () => undefined);

  const main = document.getElementById('main')!;
  let current: Page | null = null;
  const route = () => {
    const name = location.hash.replace(/^#/, '').split('?')[0] || 'live';
    const make = PAGES[name] ?? PAGES.live;
    current?.unmount();
    main.replaceChildren();
    current = make(ctx);
    current.mount(main);
    for (const tab of document.querySelectorAll<HTMLAnchorElement>('.tabs a')) {
      const selected = tab.dataset.page === (PAGES[name] ? name : 'live');
      tab.setAttribute('aria-selected', String(selected));
      // One tab stop for the tab bar; the arrow keys move between the pages.
      tab.tabIndex = selected ? 0 : -1;
    }
    document.title = `reclaimd · ${name}`;
  };
  window.addEventListener('hashchange', route);
  listKeys(document.querySelector('.tabs')!, 'a', 'horizontal', true);
  route();

  document.getElementById('theme-toggle')!.addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('reclaimd-theme', next);
    applyTheme(next);
  });
}

function applyTheme(choice: string | null): void {
  const dark = choice ? choice === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  document.dispatchEvent(new Event('reclaimd-theme'));
}

start();
