// A table that renders only the rows in view, reusing their elements: 1,000 rows updated
// ten times a second, or a million rows of history paged in, cost what ~30 visible rows cost.
import { h } from '../dom.js';

export interface Column<T> {
  key: string;
  label: string;
  /** A CSS grid track, e.g. "80px" or "2fr". */
  width: string;
  num?: boolean;
  /** Makes the header a sort button. */
  compare?: (a: T, b: T) => number;
  /**
   * When the table is too narrow for every column, columns with a hideOrder are hidden,
   * highest first, until the rest fit (the key columns stay: no sideways scrolling).
   */
  hideOrder?: number;
  /** A tooltip for the header (what the column means). */
  help?: string;
  /** Fill the cell; it is reused between rows, so set everything it shows. */
  render: (row: T, cell: HTMLElement) => void;
}

export interface VirtualTableOptions<T> {
  columns: Column<T>[];
  label: string;
  rowHeight?: number;
  onRowActivate?: (row: T) => void;
  /** Called when the view nears the last row (load the next page). */
  onNearEnd?: () => void;
  initialSort?: { key: string; descending: boolean };
}

export class VirtualTable<T> {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly head: HTMLElement;
  private readonly rowHeight: number;
  private readonly pool: HTMLElement[] = [];
  private rows: T[] = [];
  private view: T[] = [];
  private sort: { key: string; descending: boolean } | null;
  private frame = 0;
  /** Time spent in the last render, ms (the frame-time benchmark reads it). */
  lastRenderMs = 0;

  constructor(private readonly options: VirtualTableOptions<T>) {
    this.rowHeight = options.rowHeight ?? 30;
    this.sort = options.initialSort ?? null;
    this.head = h('div', { class: 'vhead', role: 'row' });
    for (const c of options.columns) {
      const label = c.compare ? h('button', { type: 'button', onclick: () => this.sortBy(c.key) }, c.label) : h('span', {}, c.label);
      this.head.append(h('div', { role: 'columnheader', class: c.num ? 'num' : '', title: c.help, 'data-col': c.key }, label));
    }
    this.spacer = h('div', { class: 'vspacer' });
    this.body = h('div', { class: 'vbody', role: 'rowgroup', tabindex: 0 }, this.spacer);
    this.body.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.element = h('div', { class: 'vtable', role: 'table', 'aria-label': options.label }, this.head, this.body);
    new ResizeObserver(() => {
      this.fitColumns();
      this.schedule();
    }).observe(this.element);
    this.fitColumns();
    this.updateSortMarks();
  }

  setRows(rows: T[]): void {
    this.rows = rows;
    this.applySort();
    this.schedule();
  }

  get rowCount(): number {
    return this.view.length;
  }

  private sortBy(key: string): void {
    this.sort = this.sort?.key === key ? { key, descending: !this.sort.descending } : { key, descending: false };
    this.updateSortMarks();
    this.applySort();
    this.schedule();
  }

  /** aria-sort belongs on the column header, not on the button inside it. */
  private updateSortMarks(): void {
    this.options.columns.forEach((c, i) => {
      const header = this.head.children[i] as HTMLElement | undefined;
      if (!header || !c.compare) return;
      header.setAttribute('aria-sort', this.sort?.key === c.key ? (this.sort.descending ? 'descending' : 'ascending') : 'none');
    });
  }

  /** The columns shown at the table's width: drop those with the highest hideOrder until the rest fit. */
  private fitColumns(): void {
    const width = this.element.clientWidth || window.innerWidth;
    const cols = this.options.columns;
    const minPx = (w: string) => Number(/(\d+)px/.exec(w)?.[1] ?? 60);
    const shown = new Set(cols.map((c) => c.key));
    const need = () => cols.filter((c) => shown.has(c.key)).reduce((sum, c) => sum + minPx(c.width) + 8, 16);
    const droppable = cols.filter((c) => c.hideOrder !== undefined).sort((a, b) => b.hideOrder! - a.hideOrder!);
    for (const c of droppable) {
      if (need() <= width) break;
      shown.delete(c.key);
    }
    const template = cols.filter((c) => shown.has(c.key)).map((c) => c.width).join(' ');
    if (template === this.template) return;
    this.template = template;
    this.hiddenKeys = new Set(cols.filter((c) => !shown.has(c.key)).map((c) => c.key));
    this.element.style.setProperty('--vcols', template);
    this.element.dataset.hiddenColumns = [...this.hiddenKeys].join(' ');
    cols.forEach((c, i) => ((this.head.children[i] as HTMLElement).hidden = this.hiddenKeys.has(c.key)));
    for (const row of this.pool) cols.forEach((c, i) => ((row.children[i] as HTMLElement).hidden = this.hiddenKeys.has(c.key)));
  }

  private template = '';
  private hiddenKeys = new Set<string>();

  private applySort(): void {
    const column = this.sort && this.options.columns.find((c) => c.key === this.sort!.key);
    if (!column?.compare) {
      this.view = this.rows;
      return;
    }
    const dir = this.sort!.descending ? -1 : 1;
    this.view = [...this.rows].sort((a, b) => dir * column.compare!(a, b));
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const started = performance.now();
    const rh = this.rowHeight;
    this.spacer.style.height = `${this.view.length * rh}px`;
    const height = this.body.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.body.scrollTop / rh) - 5);
    const count = Math.min(this.view.length - first, Math.ceil(height / rh) + 10);
    while (this.pool.length < count) this.pool.push(this.makeRow());
    for (let i = 0; i < this.pool.length; i++) {
      const el = this.pool[i];
      if (i >= count) {
        if (!el.hidden) el.hidden = true;
        continue;
      }
      const index = first + i;
      const row = this.view[index];
      el.hidden = false;
      el.style.transform = `translateY(${index * rh}px)`;
      el.setAttribute('aria-rowindex', String(index + 2));
      // Stripes by row index: pooled elements are reused in any order.
      if (el.classList.contains('alt') !== (index % 2 === 1)) el.classList.toggle('alt');
      (el as HTMLElement & { row?: T }).row = row;
      this.options.columns.forEach((c, ci) => c.render(row, el.children[ci] as HTMLElement));
    }
    if (this.options.onNearEnd && first + count >= this.view.length - 20) this.options.onNearEnd();
    this.lastRenderMs = performance.now() - started;
  }

  private makeRow(): HTMLElement {
    const activate = this.options.onRowActivate;
    const el = h('div', { class: `vrow${activate ? ' clickable' : ''}`, role: 'row', tabindex: activate ? 0 : undefined });
    for (const c of this.options.columns) el.append(h('div', { role: 'cell', class: c.num ? 'num' : '', 'data-col': c.key, hidden: this.hiddenKeys.has(c.key) }));
    if (activate) {
      const fire = () => {
        const row = (el as HTMLElement & { row?: T }).row;
        if (row !== undefined) activate(row);
      };
      el.addEventListener('click', (e) => {
        if (!(e.target as HTMLElement).closest('button, select, input')) fire();
      });
      el.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && e.target === el) fire();
      });
    }
    this.body.append(el);
    el.hidden = true;
    return el;
  }
}

/** Set a cell's text only when it changed (most cells do not, ten times a second). */
export function setText(cell: HTMLElement, text: string): void {
  if (cell.textContent !== text) cell.textContent = text;
}
