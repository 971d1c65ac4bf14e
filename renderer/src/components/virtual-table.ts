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
    const template = options.columns.map((c) => c.width).join(' ');
    this.head = h('div', { class: 'vhead', role: 'row' });
    this.head.style.gridTemplateColumns = template;
    for (const c of options.columns) {
      const label = c.compare ? h('button', { type: 'button', onclick: () => this.sortBy(c.key) }, c.label) : h('span', {}, c.label);
      this.head.append(h('div', { role: 'columnheader', class: c.num ? 'num' : '' }, label));
    }
    this.spacer = h('div', { class: 'vspacer' });
    this.body = h('div', { class: 'vbody', role: 'rowgroup', tabindex: 0 }, this.spacer);
    this.body.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.element = h('div', { class: 'vtable', role: 'table', 'aria-label': options.label }, this.head, this.body);
    new ResizeObserver(() => this.schedule()).observe(this.body);
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

  private updateSortMarks(): void {
    this.options.columns.forEach((c, i) => {
      const button = this.head.children[i]?.querySelector('button');
      if (!button) return;
      button.setAttribute('aria-sort', this.sort?.key === c.key ? (this.sort.descending ? 'descending' : 'ascending') : 'none');
    });
  }

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
    el.style.gridTemplateColumns = this.options.columns.map((c) => c.width).join(' ');
    for (const c of this.options.columns) el.append(h('div', { role: 'cell', class: c.num ? 'num' : '' }));
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
