// Arrow keys in lists and tab bars: one tab stop for the whole group (roving tabindex);
// Up/Down or Left/Right move between the items, Home and End jump to the ends.
export function listKeys(container: HTMLElement, itemSelector: string, orientation: 'vertical' | 'horizontal' = 'vertical', activate = false): void {
  const prevKey = orientation === 'vertical' ? 'ArrowUp' : 'ArrowLeft';
  const nextKey = orientation === 'vertical' ? 'ArrowDown' : 'ArrowRight';
  container.addEventListener('keydown', (e) => {
    if (![prevKey, nextKey, 'Home', 'End'].includes(e.key)) return;
    const items = [...container.querySelectorAll<HTMLElement>(itemSelector)];
    const current = items.indexOf(document.activeElement as HTMLElement);
    if (current < 0) return;
    e.preventDefault();
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? items.length - 1 : Math.max(0, Math.min(items.length - 1, current + (e.key === nextKey ? 1 : -1)));
    for (const item of items) item.tabIndex = -1;
    items[next].tabIndex = 0;
    items[next].focus();
    if (activate) items[next].click();
  });
}
