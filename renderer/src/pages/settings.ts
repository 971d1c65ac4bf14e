// Settings: host, policy and its parameters, dry run, allow kill, retention. Saved to the
// daemon, which applies the policy at once; a bad value is shown at its field.
import type { PolicyInfo, Settings } from '../../../common/api/contract';
import { ApiError } from '../api-client.js';
import type { AppContext, Page } from '../page';
import { h, toast } from '../dom.js';

const MiB = 1024 * 1024;

/**
 * Fields that must keep their order as pressure escalates: [a, b, 'le'] means a ≤ b
 * (targets grow from low to critical), 'ge' means a ≥ b (the adj floor falls, reaching
 * more important apps).
 */
const CROSS_CHECKS: [string, string, 'le' | 'ge'][] = [
  ['lowTargetPct', 'mediumTargetPct', 'le'],
  ['mediumTargetPct', 'criticalTargetPct', 'le'],
  ['lowMinAdj', 'mediumMinAdj', 'ge'],
  ['mediumMinAdj', 'criticalMinAdj', 'ge'],
];

/** "minAnonBytes" → "Min anon (MiB)"; "cooldownMs" → "Cooldown (ms)". */
export function humanLabel(name: string, unit?: string): string {
  const base = name.replace(/(Bytes|Ms|Pct)$/, '').replace(/([A-Z])/g, ' $1').toLowerCase();
  const shown = unit === 'bytes' ? 'MiB' : unit;
  return `${base.charAt(0).toUpperCase()}${base.slice(1)}${shown ? ` (${shown})` : ''}`;
}

export function createSettingsPage(ctx: AppContext): Page {
  let policies: PolicyInfo[] = [];
  let settings: Settings | null = null;
  // The daemon validates (and names the field); the browser's own bubbles would say less.
  const form = h('form', { 'aria-label': 'Settings', noValidate: true });
  const paramsBox = h('div', { class: 'form' });
  const fieldErrors = new Map<string, HTMLElement>();
  const summary = h('div', { class: 'issues', id: 'settings-errors', role: 'alert', tabindex: -1, hidden: true });

  const field = (name: string, label: string, input: HTMLElement, help?: string) => {
    const error = h('span', { class: 'field-error', id: `err-${name}` });
    fieldErrors.set(name, error);
    input.setAttribute('aria-describedby', `err-${name}`);
    if (input instanceof HTMLInputElement && input.type === 'checkbox') return h('label', { class: 'check' }, input, label, help ? h('span', { class: 'muted' }, help) : null, error);
    return h('label', {}, label, input, help ? h('span', { class: 'muted' }, help) : null, error);
  };

  const renderParams = (policy: string) => {
    const info = policies.find((p) => p.name === policy);
    const values = (settings?.params[policy] ?? {}) as Record<string, unknown>;
    paramsBox.replaceChildren(
      ...Object.entries(info?.params ?? {})
        // "Allow kill" is the agent's switch above; the policy's copy of it would be a second one.
        .filter(([name]) => name !== 'allowKill')
        .map(([name, spec]) => {
          const value = values[name] ?? spec.default;
          const mib = spec.unit === 'bytes';
          const input =
            spec.type === 'boolean'
              ? h('input', { type: 'checkbox', name: `param.${name}`, checked: value === true })
              : h('input', {
                  type: 'number',
                  name: `param.${name}`,
                  value: String(mib ? Number(value) / MiB : value),
                  min: spec.min === undefined ? undefined : mib ? spec.min / MiB : spec.min,
                  max: spec.max === undefined ? undefined : mib ? spec.max / MiB : spec.max,
                  step: spec.type === 'integer' && !mib ? 1 : 'any',
                  'data-scale': mib ? MiB : 1,
                });
          return field(`param.${name}`, humanLabel(name, spec.unit), input, spec.description);
        }),
    );
  };

  /** Every problem with the form at once: each field's range, then the checks across fields. */
  const validate = (policy: string): Map<string, string> => {
    const problems = new Map<string, string>();
    const info = policies.find((p) => p.name === policy);
    const numberOf = (name: string): number | undefined => {
      const input = form.querySelector<HTMLInputElement>(`[name="${name}"]`);
      return input && input.value !== '' ? Number(input.value) * Number(input.dataset.scale ?? 1) : undefined;
    };
    for (const [name, spec] of Object.entries(info?.params ?? {})) {
      if (spec.type === 'boolean' || name === 'allowKill') continue;
      const input = form.querySelector<HTMLInputElement>(`[name="param.${name}"]`);
      if (!input) continue;
      const label = humanLabel(name, spec.unit);
      if (input.value === '' || !Number.isFinite(Number(input.value))) problems.set(`param.${name}`, `${label}: enter a number`);
      else {
        const v = numberOf(`param.${name}`)!;
        const show = (x: number) => (spec.unit === 'bytes' ? `${x / MiB} MiB` : String(x));
        if (spec.type === 'integer' && spec.unit !== 'bytes' && !Number.isInteger(v)) problems.set(`param.${name}`, `${label}: a whole number`);
        else if (spec.min !== undefined && v < spec.min) problems.set(`param.${name}`, `${label}: at least ${show(spec.min)}`);
        else if (spec.max !== undefined && v > spec.max) problems.set(`param.${name}`, `${label}: at most ${show(spec.max)}`);
      }
    }
    for (const [a, b, rule] of CROSS_CHECKS) {
      const va = numberOf(`param.${a}`);
      const vb = numberOf(`param.${b}`);
      if (va === undefined || vb === undefined || problems.has(`param.${b}`)) continue;
      if (rule === 'le' ? va > vb : va < vb) problems.set(`param.${b}`, `${humanLabel(b)} (${vb}) must be ${rule === 'le' ? 'at least' : 'at most'} ${humanLabel(a).toLowerCase()} (${va}): pressure escalates`);
    }
    const days = numberOf('retention.maxAgeDays');
    if (days === undefined || !(days >= 0.01 && days <= 3650)) problems.set('retention.maxAgeDays', 'Keep days: between 0.01 and 3650');
    const rows = numberOf('retention.maxRows');
    if (rows === undefined || !Number.isInteger(rows) || rows < 1000) problems.set('retention.maxRows', 'Keep at most rows: a whole number, at least 1000');
    return problems;
  };

  const showProblems = (problems: Map<string, string>) => {
    for (const [name, e] of fieldErrors) {
      const message = problems.get(name) ?? '';
      e.textContent = message;
      form.querySelector(`[name="${name}"]`)?.setAttribute('aria-invalid', String(message !== ''));
    }
    summary.hidden = problems.size === 0;
    summary.replaceChildren(
      h('strong', {}, problems.size === 1 ? 'One field needs a change before saving:' : `${problems.size} fields need a change before saving:`),
      h('ul', {}, ...[...problems].map(([name, message]) => h('li', {}, h('a', { href: `#settings`, onclick: (e: Event) => {
        e.preventDefault();
        (form.querySelector(`[name="${name}"]`) as HTMLElement | null)?.focus();
      } }, message)))),
    );
  };

  const save = async () => {
    const policyName = (form.querySelector('[name="policy"]') as HTMLSelectElement).value;
    const problems = validate(policyName);
    showProblems(problems);
    if (problems.size > 0) {
      summary.focus();
      return;
    }
    const get = (name: string) => form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)!;
    const policy = get('policy').value;
    const info = policies.find((p) => p.name === policy);
    const params: Record<string, number | boolean> = {};
    for (const [name, spec] of Object.entries(info?.params ?? {})) {
      const input = form.querySelector<HTMLInputElement>(`[name="param.${name}"]`);
      if (!input) continue;
      if (spec.type === 'boolean') params[name] = input.checked;
      else if (input.value !== '') params[name] = Math.round(Number(input.value) * Number(input.dataset.scale ?? 1) * 1000) / 1000;
    }
    try {
      settings = await ctx.api.call('settings.set', {
        policy,
        params: { ...(settings?.params ?? {}), [policy]: { ...params, ...('allowKill' in (info?.params ?? {}) ? { allowKill: (get('allowKill') as HTMLInputElement).checked } : {}) } },
        // Forced on by the daemon's command line: not the user's choice to save (the daemon would refuse "off").
        ...(forcedBy ? {} : { dryRun: (get('dryRun') as HTMLInputElement).checked }),
        allowKill: (get('allowKill') as HTMLInputElement).checked,
        ...(runningHost === 'linux' ? { record: (get('record') as HTMLInputElement).checked } : {}),
        host: get('host').value as 'sim' | 'linux',
        retention: { maxAgeDays: Number(get('retention.maxAgeDays').value), maxRows: Number(get('retention.maxRows').value) },
      });
      toast('Settings saved.');
      ctx.refreshStatus();
    } catch (err) {
      const e = err as ApiError;
      // "params.params.reclaim.cooldownMs" → the parameter's field; "params.retention.maxRows" → its field.
      const path = (e.field ?? '').replace(/^params\./, '');
      const name = path.startsWith(`params.${policy}.`) ? `param.${path.slice(`params.${policy}.`.length)}` : path;
      if (fieldErrors.has(name)) showProblems(new Map([[name, e.message]]));
      else toast(`Settings not saved: ${e.message}`, 'error');
    }
  };

  /** What forces dry run on (the command line's --dry-run), read with the settings: the switch is drawn forced. */
  let forcedBy: string | null = null;
  let runningHost: string | null = null;

  const render = () => {
    if (!settings) return;
    const s = settings;
    const policySelect = h('select', { name: 'policy' }, ...policies.map((p) => h('option', { value: p.name, title: p.description }, p.name)));
    policySelect.value = s.policy;
    policySelect.addEventListener('change', () => renderParams(policySelect.value));
    const host = h('select', { name: 'host' }, h('option', { value: 'sim' }, 'simulated device'), h('option', { value: 'linux' }, 'this machine (Linux)'));
    host.value = s.host === 'linux' ? 'linux' : 'sim';
    form.replaceChildren(
      h('section', { class: 'panel' }, h('h2', {}, 'Agent'),
        h('div', { class: 'form' },
          field('host', 'Host', host, `Applies when the daemon next starts (running: ${ctx.status()?.hostDetail ?? '…'}).`),
          field('policy', 'Policy', policySelect),
          field('dryRun', 'Dry run (decide and log, touch nothing)', h('input', { type: 'checkbox', name: 'dryRun', checked: s.dryRun, disabled: forcedBy !== null }), forcedBy ? `Forced on by ${forcedBy}; restart reclaimd without it to turn it off.` : undefined),
          field('allowKill', 'Allow kill as the last resort', h('input', { type: 'checkbox', name: 'allowKill', checked: s.allowKill })),
          // Recording is the live machine's only (its replays would otherwise replay a guess): off elsewhere, saying why.
          field('record', 'Record what the agent sees (History lists recordings to replay)', h('input', { type: 'checkbox', name: 'record', checked: s.record, disabled: runningHost !== 'linux' }),
            runningHost !== 'linux' ? `Only when the agent runs on this machine (serve --host linux); it runs on ${ctx.status()?.hostDetail ?? runningHost}.` : undefined))),
      h('section', { class: 'panel', style: 'margin-top:16px' }, h('h2', {}, 'Policy parameters'), paramsBox),
      h('section', { class: 'panel', style: 'margin-top:16px' }, h('h2', {}, 'Retention of the decision log'),
        h('div', { class: 'form' },
          field('retention.maxAgeDays', 'Keep days', h('input', { type: 'number', name: 'retention.maxAgeDays', min: 0.01, max: 3650, step: 'any', value: String(s.retention.maxAgeDays) })),
          field('retention.maxRows', 'Keep at most rows', h('input', { type: 'number', name: 'retention.maxRows', min: 1000, step: 1, value: String(s.retention.maxRows) })))),
      h('div', { class: 'toolbar', style: 'margin-top:16px' }, h('button', { type: 'submit', class: 'primary' }, 'Save')),
      summary,
    );
    renderParams(s.policy);
  };

  return {
    mount(container) {
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void save();
      });
      container.append(h('h1', {}, 'Settings'), form);
      // The status too: whether the command line forces dry run decides how the switch is drawn,
      // and the shell's own first status may not have arrived when a page is opened directly.
      void Promise.all([ctx.api.call('policies.list', {}), ctx.api.call('settings.get', {}), ctx.api.call('status', {})]).then(([p, s, st]) => {
        policies = p;
        settings = s;
        forcedBy = st.dryRunForcedBy ?? null;
        runningHost = st.host;
        render();
      }, (err: Error) => form.replaceChildren(h('p', { class: 'bad' }, err.message)));
    },
    unmount() {},
  };
}
