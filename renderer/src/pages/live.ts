// Live: pressure and PSI over time, the memory breakdown over time, and the decisions as
// they happen.
import type { DecisionRecord, PressureSample } from '../../../main/api/contract';
import type { AppContext, Page } from '../app';
import { Chart } from '../components/chart.js';
import { describeDecision, resultText, showDecision } from '../components/decision-details.js';
import { h } from '../dom.js';
import { bytes, time } from '../format.js';

const WINDOW_MS = 10 * 60_000;
const FEED_ROWS = 200;
const LEVELS = ['none', 'low', 'medium', 'critical'];

export function createLivePage(ctx: AppContext): Page {
  let samples: PressureSample[] = [];
  let decisions: DecisionRecord[] = [];
  let off: (() => void) | null = null;
  let pressureChart: Chart;
  let memoryChart: Chart;
  const feed = h('div', { class: 'feed', role: 'log', 'aria-label': 'Decisions as they happen', tabindex: 0 });

  const drawCharts = () => {
    const t = samples.map((s) => s.ts / 1000);
    pressureChart.setData([t, samples.map((s) => LEVELS.indexOf(s.level)), samples.map((s) => s.psiSome ?? 0), samples.map((s) => s.psiFull ?? 0)]);
    // Stacked: each series is the sum of itself and those below it.
    const anon = samples.map((s) => s.anonBytes);
    const file = samples.map((s, i) => anon[i] + s.fileBytes);
    const zram = samples.map((s, i) => file[i] + s.zramBytes);
    const free = samples.map((s, i) => zram[i] + s.freeBytes);
    memoryChart.setData([t, free, zram, file, anon]);
  };

  const feedRow = (d: DecisionRecord) =>
    h(
      'div',
      { class: 'row', tabindex: 0, role: 'button', 'aria-label': `${describeDecision(d)}: ${d.result}`, onclick: () => void showDecision(d), onkeydown: (e: Event) => (e as KeyboardEvent).key === 'Enter' && void showDecision(d) },
      h('span', { class: 'muted' }, time(d.ts), ' '),
      h('span', { class: 'muted' }, `${d.source}/${d.level} `),
      h('span', { class: 'what' }, describeDecision(d)),
      ' → ',
      h('span', { class: `result-${d.result}` }, resultText(d)),
      h('div', { class: 'muted' }, d.reason),
    );

  const drawFeed = () => {
    feed.replaceChildren(...(decisions.length ? decisions.map(feedRow) : [h('p', { class: 'muted' }, 'No decisions yet: the agent acts when memory pressure rises.')]));
  };

  return {
    mount(container) {
      const pressureBox = h('div');
      const memoryBox = h('div');
      container.append(
        h('h2', {}, 'Live'),
        h('div', { class: 'grid' }, h('section', { class: 'panel' }, pressureBox), h('section', { class: 'panel' }, memoryBox)),
        h('section', { class: 'panel', style: 'margin-top:16px' }, h('h3', {}, 'Decisions'), feed),
      );
      pressureChart = new Chart(pressureBox, {
        title: 'Pressure level and PSI (avg10)',
        series: [
          { label: 'level', color: '--critical', scale: 'y2', stepped: true, value: (v) => (v === null ? '–' : LEVELS[v] ?? String(v)) },
          { label: 'PSI some %', color: '--medium' },
          { label: 'PSI full %', color: '--bad' },
        ],
        yFormat: (v) => `${v}%`,
        y2Format: (v) => LEVELS[v] ?? '',
        syncKey: 'live',
      });
      memoryChart = new Chart(memoryBox, {
        title: 'Memory: anon, file, zram, free',
        series: [
          { label: 'free', color: '--free', fill: true, value: (_v, i) => bytes(samples[i]?.freeBytes) },
          { label: 'zram', color: '--zram', fill: true, value: (_v, i) => bytes(samples[i]?.zramBytes) },
          { label: 'file', color: '--file', fill: true, value: (_v, i) => bytes(samples[i]?.fileBytes) },
          { label: 'anon', color: '--anon', fill: true, value: (_v, i) => bytes(samples[i]?.anonBytes) },
        ],
        yFormat: (v) => bytes(v),
        syncKey: 'live',
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
          feed.prepend(feedRow(d));
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
