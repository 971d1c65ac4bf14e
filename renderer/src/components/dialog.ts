// Modal dialogs on the native <dialog> element: focus is trapped and Escape closes them.
import { h } from '../dom.js';

export function showDialog(title: string, content: Node, buttons: { label: string; primary?: boolean; value: string }[] = [{ label: 'Close', value: 'close' }]): Promise<string> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-label': title });
    const row = h('div', { class: 'buttons' });
    for (const b of buttons) {
      row.append(
        h('button', { type: 'button', class: b.primary ? 'primary' : '', onclick: () => dialog.close(b.value) }, b.label),
      );
    }
    dialog.append(h('h3', {}, title), content, row);
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue || 'cancel');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    (row.querySelector('button.primary') as HTMLButtonElement | null)?.focus();
  });
}

/** Ask before acting on something; the text names what will be touched. */
export async function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  const answer = await showDialog(title, h('p', {}, text), [
    { label: 'Cancel', value: 'cancel' },
    { label: confirmLabel, primary: true, value: 'confirm' },
  ]);
  return answer === 'confirm';
}
