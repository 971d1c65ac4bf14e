// A tiny line of one process's memory over time, drawn in an SVG inside a table cell that
// is reused between rows (only the path changes).
const SVG = 'http://www.w3.org/2000/svg';
const W = 76;
const H = 18;

export function sparkline(cell: HTMLElement, values: number[]): void {
  let svg = cell.firstElementChild as SVGSVGElement | null;
  if (!svg) {
    svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('width', String(W));
    svg.setAttribute('height', String(H));
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('class', 'sparkline');
    svg.append(document.createElementNS(SVG, 'path'));
    cell.append(svg);
  }
  const path = svg.firstElementChild as SVGPathElement;
  if (values.length < 2) {
    path.setAttribute('d', '');
    cell.title = '';
    return;
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const d = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${((i / (values.length - 1)) * W).toFixed(1)},${(H - 1 - ((v - min) / span) * (H - 2)).toFixed(1)}`).join('');
  if (path.getAttribute('d') !== d) path.setAttribute('d', d);
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  cell.title = `${mib(values[0])} → ${mib(values[values.length - 1])} (min ${mib(min)}, max ${mib(max)})`;
}
