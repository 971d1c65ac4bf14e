// Settings: host, policy and its parameters, dry run, allow kill, retention. Saved to the
// daemon, which applies the policy at once; a bad value is shown at its field.
import type { PolicyInfo, Settings } from '../../../main/api/contract';
import { ApiCallError } from '../api-client.js';
import type { AppContext, Page } from '../app';
import { h, toast } from '../dom.js';

export function createSettingsPage(ctx: AppContext): Page {
  let policies: PolicyInfo[] = [];
  let settings: Settings | null = null;
  // The daemon validates (and names the field); the browser's own bubbles would say less.
  const form = h('form', { 'aria-label': 'Settings', noValidate: true });
  const paramsBox = h('div', { class: 'form' });
  const fieldErrors = new Map<string, HTMLElement>();

  const field = (name: string, label: string, input: HTMLElement, help?: string) => {
    const error = h('span', { class: 'field-error', id: `err-${name}`, role: 'alert' });
    fieldErrors.set(name, error);
    input.setAttribute('aria-describedby', `err-${name}`);
    if (input instanceof HTMLInputElement && input.type === 'checkbox') return h('label', { class: 'check' }, input, label, help ? h('span', { class: 'muted' }, help) : null, error);
    return h('label', {}, label, input, help ? h('span', { class: 'muted' }, help) : null, error);
  };

  const renderParams = (policy: string) => {
    const info = policies.find((p) => p.name === policy);
    const values = (settings?.params[policy] ?? {}) as Record<string, unknown>;
    paramsBox.replaceChildren(
      ...Object.entries(info?.params ?? {}).map(([name, spec]) => {
        const value = values[name] ?? spec.default;
        const input =
          spec.type === 'boolean'
            ? h('input', { type: 'checkbox', name: `param.${name}`, checked: value === true })
            : h('input', { type: 'number', name: `param.${name}`, value: String(value), min: spec.min, max: spec.max, step: spec.type === 'integer' ? 1 : 'any' });
        return field(`param.${name}`, `${name}${spec.unit ? ` (${spec.unit})` : ''}`, input, spec.description);
      }),
    );
  };

  const save = async () => {
    for (const e of fieldErrors.values()) e.textContent = '';
    const get = (name: string) => form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)!;
    const policy = get('policy').value;
    const info = policies.find((p) => p.name === policy);
    const params: Record<string, number | boolean> = {};
    for (const [name, spec] of Object.entries(info?.params ?? {})) {
      const input = get(`param.${name}`) as HTMLInputElement;
      if (spec.type === 'boolean') params[name] = input.checked;
      else if (input.value !== '') params[name] = Number(input.value);
    }
    try {
      settings = await ctx.api.call('settings.set', {
        policy,
        params: { ...(settings?.params ?? {}), [policy]: params },
        // Forced on by the daemon's command line: not the user's choice to save (the daemon would refuse "off").
        ...(ctx.status()?.dryRunForcedBy ? {} : { dryRun: (get('dryRun') as HTMLInputElement).checked }),
        allowKill: (get('allowKill') as HTMLInputElement).checked,
        host: get('host').value as 'sim' | 'linux',
        retention: { maxAgeDays: Number(get('retention.maxAgeDays').value), maxRows: Number(get('retention.maxRows').value) },
      });
      toast('Settings saved.');
      ctx.refreshStatus();
    } catch (err) {
      const e = err as ApiCallError;
      // "params.params.reclaim.cooldownMs" → the parameter's field; "params.retention.maxRows" → its field.
      const path = (e.field ?? '').replace(/^params\./, '');
      const name = path.startsWith(`params.${policy}.`) ? `param.${path.slice(`params.${policy}.`.length)}` : path;
      const target = fieldErrors.get(name);
      if (target) target.textContent = e.message;
      else toast(`Settings not saved: ${e.message}`, 'error');
    }
  };

  const render = () => {
    if (!settings) return;
    const s = settings;
    const forcedBy = ctx.status()?.dryRunForcedBy ?? null;
    const policySelect = h('select', { name: 'policy' }, ...policies.map((p) => h('option', { value: p.name, title: p.description }, p.name)));
    policySelect.value = s.policy;
    policySelect.addEventListener('change', () => renderParams(policySelect.value));
    const host = h('select', { name: 'host' }, h('option', { value: 'sim' }, 'simulated device'), h('option', { value: 'linux' }, 'this machine (Linux)'));
    host.value = s.host === 'linux' ? 'linux' : 'sim';
    form.replaceChildren(
      h('section', { class: 'panel' }, h('h3', {}, 'Agent'),
        h('div', { class: 'form' },
          field('host', 'Host', host, `Applies when the daemon next starts (running: ${ctx.status()?.hostDetail ?? '…'}).`),
          field('policy', 'Policy', policySelect),
          field('dryRun', 'Dry run (decide and log, touch nothing)', h('input', { type: 'checkbox', name: 'dryRun', checked: s.dryRun, disabled: forcedBy !== null }), forcedBy ? `Forced on by ${forcedBy}; restart reclaimd without it to turn it off.` : undefined),
          field('allowKill', 'Allow kill as the last resort', h('input', { type: 'checkbox', name: 'allowKill', checked: s.allowKill })))),
      h('section', { class: 'panel', style: 'margin-top:16px' }, h('h3', {}, 'Policy parameters'), paramsBox),
      h('section', { class: 'panel', style: 'margin-top:16px' }, h('h3', {}, 'Retention of the decision log'),
        h('div', { class: 'form' },
          field('retention.maxAgeDays', 'Keep days', h('input', { type: 'number', name: 'retention.maxAgeDays', min: 0.01, max: 3650, step: 'any', value: String(s.retention.maxAgeDays) })),
          field('retention.maxRows', 'Keep at most rows', h('input', { type: 'number', name: 'retention.maxRows', min: 1000, step: 1, value: String(s.retention.maxRows) })))),
      h('div', { class: 'toolbar', style: 'margin-top:16px' }, h('button', { type: 'submit', class: 'primary' }, 'Save')),
    );
    renderParams(s.policy);
  };

  return {
    mount(container) {
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void save();
      });
      container.append(h('h2', {}, 'Settings'), form);
      void Promise.all([ctx.api.call('policies.list', {}), ctx.api.call('settings.get', {})]).then(([p, s]) => {
        policies = p;
        settings = s;
        render();
      }, (err: Error) => form.replaceChildren(h('p', { class: 'bad' }, err.message)));
    },
    unmount() {},
  };
}
