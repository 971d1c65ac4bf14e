// Time-series charts on uPlot (a small, fast canvas charting library). Colours come from
// the theme's CSS variables, so a theme switch redraws them; charts with the same sync key
// share a cursor (the replay comparison's shared time axes).
import uPlot from '../vendor/uplot.js';

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
}

export interface ChartSpec {
  title: string;
  series: SeriesSpec[];
  /** Axis label formatter for the y scale(s). */
  yFormat?: (v: number) => string;
  y2Format?: (v: number) => string;
  /** Seconds on the x axis from the start (replay), instead of clock time (live). */
  relativeTime?: boolean;
  syncKey?: string;
  height?: number;
  yRange?: [number, number];
  /** Points drawn as markers on the time axis (kills…). */
  markers?: () => { t: number; label: string }[];
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

export class Chart {
  private plot: uPlot | null = null;
  private data: uPlot.AlignedData = [[]];
  private readonly observer: ResizeObserver;

  constructor(readonly container: HTMLElement, private readonly spec: ChartSpec) {
    container.classList.add('chart');
    container.setAttribute('role', 'img');
    container.setAttribute('aria-label', spec.title);
    this.observer = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.observer.observe(container);
    document.addEventListener('reclaimd-theme', () => this.rebuild());
  }

  setData(data: uPlot.AlignedData): void {
    this.data = data;
    if (!this.plot) this.rebuild();
    else this.plot.setData(data);
  }

  destroy(): void {
    this.observer.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.container.clientWidth), height: this.spec.height ?? 200 };
  }

  private rebuild(): void {
    this.plot?.destroy();
    const spec = this.spec;
    const axisColor = cssVar('--muted');
    const grid = { stroke: cssVar('--border'), width: 1 };
    const opts: uPlot.Options = {
      ...this.size(),
      title: spec.title,
      cursor: spec.syncKey ? { sync: { key: spec.syncKey } } : {},
      scales: {
        x: { time: !spec.relativeTime },
        y: spec.yRange ? { range: spec.yRange } : {},
        ...(spec.series.some((s) => s.scale === 'y2') ? { y2: {} } : {}),
      },
      axes: [
        { stroke: axisColor, grid, ...(spec.relativeTime ? { values: (_u: uPlot, vals: number[]) => vals.map((v) => `${Math.round(v)} s`) } : {}) },
        { stroke: axisColor, grid, size: 64, ...(spec.yFormat ? { values: (_u: uPlot, vals: number[]) => vals.map(spec.yFormat!) } : {}) },
        ...(spec.series.some((s) => s.scale === 'y2')
          ? [{ scale: 'y2', side: 1 as const, stroke: axisColor, grid: { show: false }, size: 76, ...(spec.y2Format ? { values: (_u: uPlot, vals: number[]) => vals.map(spec.y2Format!) } : {}) }]
          : []),
      ],
      series: [
        { label: spec.relativeTime ? 's' : 'time', value: spec.relativeTime ? (_u, v) => (v === null ? '–' : `${v} s`) : undefined },
        ...spec.series.map((s) => {
          const color = cssVar(s.color);
          return {
            label: s.label,
            stroke: color,
            width: s.width ?? 1.5,
            scale: s.scale ?? 'y',
            fill: s.fill ? `${color}55` : undefined,
            paths: s.stepped ? uPlot.paths.stepped!({ align: 1 }) : s.bars ? uPlot.paths.bars!({ size: [0.6, 60] }) : undefined,
            points: s.bars ? { show: false } : undefined,
            value: s.value ? (_u: uPlot, v: number | null, _si: number, idx: number | null) => s.value!(v, idx ?? 0) : undefined,
          } satisfies uPlot.Series;
        }),
      ],
      hooks: spec.markers
        ? {
            draw: [
              (u: uPlot) => {
                const ctx = u.ctx;
                ctx.save();
                ctx.strokeStyle = cssVar('--critical');
                ctx.fillStyle = cssVar('--critical');
                ctx.font = `${11 * devicePixelRatio}px system-ui`;
                for (const m of spec.markers!()) {
                  const x = u.valToPos(m.t, 'x', true);
                  if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                  ctx.beginPath();
                  ctx.setLineDash([4, 4]);
                  ctx.moveTo(x, u.bbox.top);
                  ctx.lineTo(x, u.bbox.top + u.bbox.height);
                  ctx.stroke();
                  ctx.fillText(m.label, x + 3, u.bbox.top + 12 * devicePixelRatio);
                }
                ctx.restore();
              },
            ],
          }
        : {},
    };
    this.plot = new uPlot(opts, this.data, this.container);
  }
}
