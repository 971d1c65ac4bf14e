// Time-series charts on uPlot (a small, fast canvas charting library). Colours come from
// the theme's CSS variables, so a theme switch redraws them; charts with the same sync key
// share a cursor (the replay comparison's shared time axes). Drag across a chart to zoom
// in, double-click to zoom back out. Markers (decisions, kills) are buttons over the plot:
// hover shows what happened, a click opens it.
import uPlot from '../vendor/uplot.js';
import { clockSeconds } from '../format.js';

export interface SeriesSpec {
  label: string;
  /** A CSS variable name, e.g. "--anon". */
  color: string;
  fill?: boolean;
  scale?: string;
  /** Format for the legend (raw value at the cursor). */
  value?: (v: number | null, index: number) => string;
  /** Step lines for levels. */
  stepped?: boolean;
  /** Bars (sums per period). */
  bars?: boolean;
  width?: number;
  /** A dash pattern, so equal series drawn over each other stay distinguishable. */
  dash?: number[];
}

export interface ChartMarker {
  /** On the x scale: seconds (epoch seconds for clock time). */
  t: number;
  /** What the marker stands for, shown on hover and read by screen readers. */
  label: string;
  /** A CSS variable for its colour (default --critical). */
  color?: string;
  /** Passed back to onMarker. */
  id?: number;
}

export interface ChartSpec {
  title: string;
  series: SeriesSpec[];
  /** Axis label formatter for the y scale(s). */
  yFormat?: (v: number) => string;
  y2Format?: (v: number) => string;
  /** Seconds on the x axis from the start (replay), as m:ss, instead of clock time (live). */
  relativeTime?: boolean;
  /** Bars a whole hour wide (history's per-hour sums): the x range is padded by half an hour. */
  hourly?: boolean;
  syncKey?: string;
  height?: number;
  yRange?: [number, number];
  /** Points marked on the time axis (decisions, kills…). */
  markers?: () => ChartMarker[];
  onMarker?: (m: ChartMarker) => void;
  /** Keep the legend on the newest sample while the cursor is off the chart (live data). */
  legendFollowsLatest?: boolean;
}

// A chart draws at most this many marker buttons: beyond that they would cover the plot
// and cost a DOM node each; the densest part of a 10-minute window fits well within it.
const MAX_MARKERS = 300;
// Room for the widest y label ("1023.99 MiB", "critical") at 12 px.
const Y_AXIS_PX = 84;

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

export class Chart {
  private plot: uPlot | null = null;
  private data: uPlot.AlignedData = [[]];
  private readonly observer: ResizeObserver;
  private readonly onTheme = () => this.rebuild();
  private highlighted: number | null = null;
  private markerLayer: HTMLElement | null = null;

  constructor(readonly container: HTMLElement, private readonly spec: ChartSpec) {
    container.classList.add('chart');
    container.setAttribute('role', 'figure');
    container.setAttribute('aria-label', spec.title);
    this.observer = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.observer.observe(container);
    document.addEventListener('reclaimd-theme', this.onTheme);
  }

  setData(data: uPlot.AlignedData): void {
    this.data = data;
    if (!this.plot) this.rebuild();
    else {
      const zoomed = this.zoomed();
      this.plot.setData(data, !zoomed);
    }
    // Hourly bars: half an hour either side, or one bar would span years of empty axis.
    const xs = data[0] as number[];
    if (this.spec.hourly && xs.length > 0 && !this.userZoom) this.plot!.setScale('x', { min: xs[0] - 1800, max: xs[xs.length - 1] + 1800 });
    this.followLatest();
  }

  /** Show only [from, to] on the x axis (seconds); null shows everything. */
  setWindow(range: { from: number; to: number } | null): void {
    if (!this.plot) return;
    const xs = this.data[0] as number[];
    if (range === null) this.plot.setScale('x', { min: xs[0] ?? 0, max: xs[xs.length - 1] ?? 1 });
    else this.plot.setScale('x', { min: range.from, max: range.to });
  }

  /** Draw a band at one moment (a hovered decision); null removes it. */
  highlight(t: number | null): void {
    this.highlighted = t;
    // Also on the element, where a test or a screen reader's tooling can see it.
    if (t === null) delete this.container.dataset.highlight;
    else this.container.dataset.highlight = String(t);
    this.plot?.redraw(false);
  }

  destroy(): void {
    this.observer.disconnect();
    document.removeEventListener('reclaimd-theme', this.onTheme);
    this.plot?.destroy();
    this.plot = null;
  }

  /** A zoom the user chose (drag) survives new data. */
  private zoomed(): boolean {
    const u = this.plot;
    const xs = this.data[0] as number[];
    if (!u || xs.length < 2) return false;
    const { min, max } = u.scales.x;
    return min !== undefined && max !== undefined && (min > xs[0] + 1e-9 || max < xs[xs.length - 1] - 1e-9) && this.userZoom;
  }

  private userZoom = false;

  private followLatest(): void {
    const u = this.plot;
    if (!u || !this.spec.legendFollowsLatest) return;
    const n = (this.data[0] as number[]).length;
    if (n > 0 && (u.cursor.left ?? -1) < 0) u.setLegend({ idx: n - 1 });
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.container.clientWidth), height: this.spec.height ?? 200 };
  }

  private rebuild(): void {
    this.plot?.destroy();
    const spec = this.spec;
    const axisColor = cssVar('--muted');
    const grid = { stroke: cssVar('--border'), width: 1 };
    const hasY2 = spec.series.some((s) => s.scale === 'y2');
    const opts: uPlot.Options = {
      ...this.size(),
      title: spec.title,
      cursor: { ...(spec.syncKey ? { sync: { key: spec.syncKey } } : {}), drag: { x: true, y: false, setScale: true } },
      scales: {
        x: { time: !spec.relativeTime },
        // Bars measure from zero: a bar cut at its base would misstate the amount.
        y: spec.yRange ? { range: spec.yRange } : spec.hourly ? { range: (_u: uPlot, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] as uPlot.Range.MinMax } : {},
        ...(hasY2 ? { y2: {} } : {}),
      },
      axes: [
        { stroke: axisColor, grid, ...(spec.relativeTime ? { values: (_u: uPlot, vals: number[]) => vals.map(clockSeconds) } : {}) },
        { stroke: axisColor, grid, size: Y_AXIS_PX, ...(spec.yFormat ? { values: (_u: uPlot, vals: number[]) => vals.map(spec.yFormat!) } : {}) },
        ...(hasY2
          ? [{ scale: 'y2', side: 1 as const, stroke: axisColor, grid: { show: false }, size: Y_AXIS_PX, ...(spec.y2Format ? { values: (_u: uPlot, vals: number[]) => vals.map(spec.y2Format!) } : {}) }]
          : []),
      ],
      series: [
        { label: spec.relativeTime ? 'time' : 'time', value: spec.relativeTime ? (_u, v) => (v === null ? '–' : clockSeconds(v)) : undefined },
        ...spec.series.map((s) => {
          const color = cssVar(s.color);
          return {
            label: s.label,
            stroke: color,
            width: s.width ?? 1.5,
            dash: s.dash,
            scale: s.scale ?? 'y',
            fill: s.fill ? `${color}55` : undefined,
            paths: s.stepped ? uPlot.paths.stepped!({ align: 1 }) : s.bars ? uPlot.paths.bars!({ size: [0.6, 60] }) : undefined,
            points: s.bars ? { show: false } : undefined,
            value: s.value ? (_u: uPlot, v: number | null, _si: number, idx: number | null) => s.value!(v, idx ?? 0) : undefined,
          } satisfies uPlot.Series;
        }),
      ],
      hooks: {
        draw: [(u: uPlot) => this.drawOverlays(u)],
        setSelect: [() => (this.userZoom = true)],
        setCursor: [(u: uPlot) => (u.cursor.left ?? -1) < 0 && this.followLatest()],
      },
    };
    this.plot = new uPlot(opts, this.data, this.container);
    // Double-click zooms back out (uPlot's own reset) and lets live data move the window again.
    this.plot.over.addEventListener('dblclick', () => (this.userZoom = false));
    this.markerLayer = document.createElement('div');
    this.markerLayer.className = 'chart-markers';
    this.plot.over.append(this.markerLayer);
    this.followLatest();
  }

  private drawOverlays(u: uPlot): void {
    const ctx = u.ctx;
    if (this.highlighted !== null) {
      const x = u.valToPos(this.highlighted, 'x', true);
      if (x >= u.bbox.left && x <= u.bbox.left + u.bbox.width) {
        ctx.save();
        ctx.fillStyle = `${cssVar('--focus')}44`;
        ctx.fillRect(x - 3 * devicePixelRatio, u.bbox.top, 6 * devicePixelRatio, u.bbox.height);
        ctx.restore();
      }
    }
    const layer = this.markerLayer;
    if (!layer || !this.spec.markers) return;
    const markers = this.spec.markers();
    const width = u.bbox.width / devicePixelRatio;
    const buttons: HTMLElement[] = [];
    ctx.save();
    ctx.setLineDash([4, 4]);
    for (const m of markers) {
      if (buttons.length >= MAX_MARKERS) break;
      const left = u.valToPos(m.t, 'x');
      if (left < 0 || left > width) continue;
      const color = cssVar(m.color ?? '--critical');
      ctx.strokeStyle = color;
      ctx.beginPath();
      const x = u.valToPos(m.t, 'x', true);
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'chart-marker';
      b.style.left = `${left}px`;
      b.style.setProperty('--marker', color);
      b.title = m.label;
      b.setAttribute('aria-label', m.label);
      if (this.spec.onMarker) b.addEventListener('click', () => this.spec.onMarker!(m));
      else b.tabIndex = -1;
      buttons.push(b);
    }
    ctx.restore();
    layer.replaceChildren(...buttons);
  }
}
