// Live: pressure and PSI over time, the memory breakdown over time, and the decisions as
// they happen, on one timeline: each decision is a marker on both charts (click opens it),
// hovering a decision in the feed marks its moment, and presets or a drag pick the window.
import type { DecisionRecord, PressureSample } from '../../../common/api/contract';
import { levelRank, PRESSURE_LEVELS } from '../../../common/vocabulary.js';
import type { AppContext, Page } from '../page';
import { Chart, type ChartMarker } from '../components/chart.js';
import { describeDecision, resultText, showDecision, whyText } from '../components/decision-details.js';
import { glossary } from '../components/glossary.js';
import { listKeys } from '../components/roving.js';
import { h } from '../dom.js';
import { bytes, time } from '../format.js';

const WINDOW_MS = 10 * 60_000;
const FEED_ROWS = 200;
/** Time presets: the last minute, five, or the whole window the page keeps. */
const PRESETS: [string, number | null][] = [['1 min', 60], ['5 min', 300], ['10 min', null]];
/**
 * Pressure samples drawn per pixel column at most: a sample a second for ten minutes on a
 * 400 px chart flips the level line every pixel (a comb). Each bucket keeps its maximum —
 * a spike must stay visible.
 */
const POINTS_PER_PX = 0.5;

export function createLivePage(ctx: AppContext): Page {
  let samples: PressureSample[] = [];
  let decisions: DecisionRecord[] = [];
  let off: (() => void) | null = null;
  let pressureChart: Chart;
  let memoryChart: Chart;
  let preset: number | null = null;
  const feed = h('div', { class: 'feed', role: 'list', 'aria-label': 'Decisions as they happen' });
  listKeys(feed, '.row');

  const markers = (): ChartMarker[] =>
    decisions.map((d) => ({ t: d.ts / 1000, id: d.id, label: `${time(d.ts)} ${describeDecision(d)}: ${resultText(d)}`, color: d.action === 'kill' ? '--critical' : '--accent' }));
  const openMarker = (m: ChartMarker) => {
    const d = decisions.find((x) => x.id === m.id && x.ts / 1000 === m.t) ?? decisions.find((x) => x.ts / 1000 === m.t);
    if (d) void showDecision(d);
  };

  const drawCharts = () => {
    const buckets = downsample(samples, Math.max(50, Math.round(pressureChart.container.clientWidth * POINTS_PER_PX)));
    const t = buckets.map((s) => s.ts / 1000);
    pressureChart.setData([t, buckets.map((s) => levelRank(s.level)), buckets.map((s) => s.psiSome ?? 0), buckets.map((s) => s.psiFull ?? 0)]);
    // Stacked: each series is the sum of itself and those below it.
    const mt = samples.map((s) => s.ts / 1000);
    const anon = samples.map((s) => s.anonBytes);
    const file = samples.map((s, i) => anon[i] + s.fileBytes);
    // zswap (0 where absent, or from a daemon older than the field) beside zram: the compressed tier whichever it is.
    const zswap = samples.map((s, i) => file[i] + (s.zswapBytes ?? 0));
    const zram = samples.map((s, i) => zswap[i] + s.zramBytes);
    const free = samples.map((s, i) => zram[i] + s.freeBytes);
    memoryChart.setData([mt, free, zram, zswap, file, anon]);
    applyPreset();
  };

  const applyPreset = () => {
    if (preset === null || samples.length === 0) return;
    const to = samples[samples.length - 1].ts / 1000;
    for (const c of [pressureChart, memoryChart]) c.setWindow({ from: to - preset, to });
  };

  const feedRow = (d: DecisionRecord) => {
    const row = h(
      'div',
      { class: 'row', tabindex: -1, role: 'listitem', onclick: () => void showDecision(d), onkeydown: (e: Event) => (e as KeyboardEvent).key === 'Enter' && void showDecision(d) },
      h('span', { class: 'muted' }, time(d.ts), ' '),
      h('span', { class: 'muted' }, `${d.source}/${d.level} `),
      h('span', { class: 'what' }, describeDecision(d)),
      ' → ',
      h('span', { class: `result-${d.result}` }, resultText(d)),
      h('div', { class: 'muted' }, whyText(d)),
    );
    // Hovering or focusing a decision marks its moment on both charts.
    const mark = (t: number | null) => () => {
      pressureChart.highlight(t);
      memoryChart.highlight(t);
    };
    row.addEventListener('mouseenter', mark(d.ts / 1000));
    row.addEventListener('focus', mark(d.ts / 1000));
    row.addEventListener('mouseleave', mark(null));
    row.addEventListener('blur', mark(null));
    return row;
  };

  const drawFeed = () => {
    feed.replaceChildren(...(decisions.length ? decisions.map(feedRow) : [h('p', { class: 'muted' }, 'No decisions yet: the agent acts when memory pressure rises.')]));
    // One tab stop for the whole list; arrow keys move within it.
    (feed.querySelector('.row') as HTMLElement | null)?.setAttribute('tabindex', '0');
  };

  return {
    mount(container) {
      const pressureBox = h('div');
      const memoryBox = h('div');
      const presetButtons = PRESETS.map(([label, s]) =>
        h('button', { type: 'button', 'aria-pressed': String(s === preset), onclick: (e: Event) => {
          preset = s;
          for (const b of presetButtons) b.setAttribute('aria-pressed', String(b === e.currentTarget));
          if (s === null) for (const c of [pressureChart, memoryChart]) c.setWindow(null);
          applyPreset();
        } }, label));
      container.append(
        h('h1', {}, 'Live'),
        h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Time window' }, h('span', { class: 'muted' }, 'Show the last'), ...presetButtons,
          h('span', { class: 'muted' }, 'Drag across a chart to zoom, double-click to zoom out. ▼ marks a decision.')),
        h('div', { class: 'grid' }, h('section', { class: 'panel' }, pressureBox), h('section', { class: 'panel' }, memoryBox)),
        h('section', { class: 'panel', style: 'margin-top:16px' }, h('h2', {}, 'Decisions'), feed),
        glossary(['PSI', 'avg10', 'level', 'vmpressure', 'adj', 'previous', 'cached', 'anon', 'file', 'zram', 'zswap']),
      );
      pressureChart = new Chart(pressureBox, {
        title: 'Pressure level and PSI (avg10)',
        series: [
          { label: 'level', color: '--accent', scale: 'y2', stepped: true, width: 2, value: (v) => (v === null ? '–' : PRESSURE_LEVELS[v] ?? String(v)) },
          { label: 'PSI some', color: '--medium', value: (v) => (v === null ? '–' : `${v.toFixed(1)}%`) },
          { label: 'PSI full', color: '--zram', dash: [6, 3], value: (v) => (v === null ? '–' : `${v.toFixed(1)}%`) },
        ],
        yFormat: (v) => `${v}%`,
        y2Format: (v) => PRESSURE_LEVELS[v] ?? '',
        syncKey: 'live',
        markers,
        onMarker: openMarker,
        legendFollowsLatest: true,
      });
      memoryChart = new Chart(memoryBox, {
        title: 'Memory: anon, file, zswap, zram, free',
        series: [
          { label: 'free', color: '--free', fill: true, value: (_v, i) => bytes(samples[i]?.freeBytes) },
          { label: 'zram', color: '--zram', fill: true, value: (_v, i) => bytes(samples[i]?.zramBytes) },
          { label: 'zswap', color: '--zswap', fill: true, value: (_v, i) => bytes(samples[i]?.zswapBytes ?? 0) },
          { label: 'file', color: '--file', fill: true, value: (_v, i) => bytes(samples[i]?.fileBytes) },
          { label: 'anon', color: '--anon', fill: true, value: (_v, i) => bytes(samples[i]?.anonBytes) },
        ],
        yFormat: (v) => bytes(v),
        syncKey: 'live',
        markers,
        onMarker: openMarker,
        legendFollowsLatest: true,
      });
      drawFeed();
      void ctx.api.call('pressure.recent', { sinceMs: WINDOW_MS }).then((s) => {
        samples = s;
        drawCharts();
      });
      void ctx.api.call('decisions.recent', { limit: FEED_ROWS }).then((d) => {
        decisions = d;
        drawFeed();
      });
      off = ctx.onEvent((m) => {
        if (m.stream === 'pressure') {
          samples.push(m.data as PressureSample);
          const from = Date.now() - WINDOW_MS;
          while (samples.length && samples[0].ts < from) samples.shift();
          drawCharts();
        } else if (m.stream === 'decision') {
          const d = m.data as DecisionRecord;
          decisions.unshift(d);
          if (decisions.length > FEED_ROWS) decisions.pop();
          if (decisions.length === 1) feed.replaceChildren();
          const focusedFirst = feed.querySelector('.row[tabindex="0"]') === null;
          feed.prepend(feedRow(d));
          if (focusedFirst) (feed.firstElementChild as HTMLElement).tabIndex = 0;
          while (feed.children.length > FEED_ROWS) feed.lastChild?.remove();
        }
      });
    },
    unmount() {
      off?.();
      pressureChart?.destroy();
      memoryChart?.destroy();
    },
  };
}

/** At most `max` samples: each bucket's highest level and PSI, at the bucket's last time. */
function downsample(samples: PressureSample[], max: number): PressureSample[] {
  if (samples.length <= max) return samples;
  const size = Math.ceil(samples.length / max);
  const out: PressureSample[] = [];
  for (let i = 0; i < samples.length; i += size) {
    const bucket = samples.slice(i, i + size);
    const last = bucket[bucket.length - 1];
    out.push({
      ...last,
      level: bucket.reduce((a, s) => (levelRank(s.level) > levelRank(a) ? s.level : a), bucket[0].level),
      psiSome: Math.max(...bucket.map((s) => s.psiSome ?? 0)),
      psiFull: Math.max(...bucket.map((s) => s.psiFull ?? 0)),
    });
  }
  return out;
}
