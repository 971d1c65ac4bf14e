// Modal dialogs on the native <dialog> element: Escape closes them, Tab stays inside
// (Chromium lets it move on to the browser's own controls), and they open at the top.
import { h } from '../dom.js';

let dialogs = 0;

export function showDialog(title: string, content: Node, buttons: { label: string; primary?: boolean; value: string }[] = [{ label: 'Close', value: 'close' }]): Promise<string> {
  return new Promise((resolve) => {
    const headingId = `dialog-title-${++dialogs}`;
    const dialog = h('dialog', { 'aria-labelledby': headingId });
    const row = h('div', { class: 'buttons' });
    for (const b of buttons) {
      row.append(
        h('button', { type: 'button', class: b.primary ? 'primary' : '', onclick: () => dialog.close(b.value) }, b.label),
      );
    }
    const heading = h('h2', { id: headingId, tabindex: -1, class: 'dialog-title' }, title);
    dialog.append(heading, content, row);
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue || 'cancel');
      dialog.remove();
    });
    dialog.addEventListener('keydown', (e) => trapTab(dialog, e));
    document.body.append(dialog);
    dialog.showModal();
    // A confirmation focuses its action; anything else its title, so it opens at the top
    // rather than scrolled down to a Close button.
    const primary = row.querySelector('button.primary') as HTMLButtonElement | null;
    if (primary) primary.focus();
    else heading.focus();
    dialog.scrollTop = 0;
  });
}

const FOCUSABLE = 'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

/** Keep Tab and Shift+Tab cycling inside the dialog. */
function trapTab(dialog: HTMLDialogElement, e: KeyboardEvent): void {
  if (e.key !== 'Tab') return;
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !dialog.contains(active) || active === dialog.querySelector('.dialog-title'))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !dialog.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

/** Ask before acting on something; the text names what will be touched. */
export async function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  const answer = await showDialog(title, h('p', {}, text), [
    { label: 'Cancel', value: 'cancel' },
    { label: confirmLabel, primary: true, value: 'confirm' },
  ]);
  return answer === 'confirm';
}
