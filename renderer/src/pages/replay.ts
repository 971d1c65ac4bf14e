// Replay: a bundled scenario or a file (its validation errors shown at the field), the
// policies to compare, the metrics side by side with the better value marked, and the
// timelines on shared time axes; stored runs below.
import type { PolicyInfo, RecordedOutcome, ReplayMetrics, ReplayReportInfo, RunInfo, ScenarioInfo, ScenarioIssueInfo } from '../../../common/api/contract';
import { RECORDED_METRIC_KEYS } from '../../../common/recorded.js';
import { PRESSURE_LEVELS } from '../../../common/vocabulary.js';
import { ApiError } from '../api-client.js';
import type { AppContext, Page } from '../page';
import { Chart } from '../components/chart.js';
import { h, toast } from '../dom.js';
import { bytes, clockSeconds, dateTime, duration } from '../format.js';

type MetricKey = keyof ReplayMetrics;
const METRICS: { key: MetricKey; label: string; better: 'lower' | 'higher' | null; show: (m: ReplayMetrics) => string; value: (m: ReplayMetrics) => number }[] = [
  { key: 'agentKills', label: 'agent kills', better: 'lower', show: (m) => String(m.agentKills), value: (m) => m.agentKills },
  { key: 'oomKills', label: 'kernel OOM kills', better: 'lower', show: (m) => String(m.oomKills), value: (m) => m.oomKills },
  { key: 'stateLoss', label: 'state lost', better: 'lower', show: (m) => String(m.stateLoss), value: (m) => m.stateLoss },
  { key: 'userWaitMs', label: 'user wait', better: 'lower', show: (m) => duration(m.userWaitMs), value: (m) => m.userWaitMs },
  { key: 'coldStarts', label: 'cold starts', better: 'lower', show: (m) => String(m.coldStarts), value: (m) => m.coldStarts },
  { key: 'warmResumes', label: 'warm resumes', better: 'higher', show: (m) => String(m.warmResumes), value: (m) => m.warmResumes },
  { key: 'foregroundStallMs', label: 'foreground stall', better: 'lower', show: (m) => duration(m.foregroundStallMs), value: (m) => m.foregroundStallMs },
  { key: 'refaultsAnon', label: 'anon refaults', better: 'lower', show: (m) => m.refaultsAnon.toLocaleString(), value: (m) => m.refaultsAnon },
  { key: 'refaultsFile', label: 'file refaults', better: 'lower', show: (m) => m.refaultsFile.toLocaleString(), value: (m) => m.refaultsFile },
  { key: 'reclaimedBytes', label: 'reclaimed', better: null, show: (m) => bytes(m.reclaimedBytes), value: (m) => m.reclaimedBytes },
  { key: 'zramCpuMs', label: 'zram CPU', better: 'lower', show: (m) => duration(m.zramCpuMs), value: (m) => m.zramCpuMs },
  { key: 'timeAtLevelMs', label: 'time at low / medium / critical', better: 'lower', show: (m) => `${duration(m.timeAtLevelMs.low)} / ${duration(m.timeAtLevelMs.medium)} / ${duration(m.timeAtLevelMs.critical)}`, value: (m) => m.timeAtLevelMs.medium + 2 * m.timeAtLevelMs.critical },
  { key: 'decisions', label: 'decisions', better: null, show: (m) => String(m.decisions), value: (m) => m.decisions },
  { key: 'decisionLatencyUs', label: 'decision latency p50 / p99', better: null, show: (m) => `${m.decisionLatencyUs.p50} / ${m.decisionLatencyUs.p99} µs`, value: (m) => m.decisionLatencyUs.p99 },
];
// Checked at first: reclaim against Android as shipped, lmkd alone and the kernel alone (the
// renderer cannot import the engine; BASELINE_POLICIES in policy-engine/policies/index.ts).
const DEFAULT_COMPARED = ['reclaim', 'android', 'lmkd', 'none'];
/** The most seeds one suite runs from the page: each is a full replay per policy in the daemon. */
const MAX_SEEDS = 20;
/** The suite's rows, as `reclaimd bench` lists them: one number per run each. */
const SUITE: { label: string; value: (m: ReplayMetrics) => number; show: (v: number) => string }[] = [
  { label: 'kills (agent + kernel)', value: (m) => m.agentKills + m.oomKills, show: (v) => String(v) },
  { label: 'state lost', value: (m) => m.stateLoss, show: (v) => String(v) },
  { label: 'user wait', value: (m) => m.userWaitMs, show: (v) => duration(v) },
  { label: 'foreground stall', value: (m) => m.foregroundStallMs, show: (v) => duration(v) },
  { label: 'cold starts', value: (m) => m.coldStarts, show: (v) => String(v) },
  { label: 'anon refaults', value: (m) => m.refaultsAnon, show: (v) => v.toLocaleString() },
  { label: 'file refaults', value: (m) => m.refaultsFile, show: (v) => v.toLocaleString() },
  { label: 'zram CPU', value: (m) => m.zramCpuMs, show: (v) => duration(v) },
  { label: 'reclaimed', value: (m) => m.reclaimedBytes, show: (v) => bytes(v) },
];
/** The first rows answer "what did the user lose": kills, lost state, waiting. */
const HEADLINE_METRICS = 4;
const POLICY_COLORS = ['--anon', '--critical', '--file', '--medium', '--zram', '--low', '--free', '--muted'];
// Each policy also gets its own dash, so two policies with equal values (a line drawn over
// another) both stay visible.
const POLICY_DASHES: (number[] | undefined)[] = [undefined, [8, 4], [2, 3], [12, 3, 2, 3]];

export function createReplayPage(ctx: AppContext): Page {
  let fileText: string | null = null;
  let charts: Chart[] = [];
  let scenarios: ScenarioInfo[] = [];
  let policyInfo: PolicyInfo[] = [];
  const scenarioHelp = h('p', { class: 'muted', id: 'scenario-description' });
  const results = h('section', { 'aria-live': 'polite' });
  const issuesBox = h('div', { id: 'scenario-file-errors' });
  const runsBox = h('div');
  const policyBox = h('fieldset', { class: 'toolbar' }, h('legend', {}, 'Policies'));
  const bundled = h('select', { name: 'scenario', 'aria-label': 'Bundled scenario' });
  const fileInput = h('input', { type: 'file', accept: '.json,application/json', name: 'scenario-file', 'aria-label': 'Scenario file', 'aria-describedby': 'scenario-file-errors' });
  const seed = h('input', { type: 'number', min: 0, max: 4294967295, name: 'seed', placeholder: "scenario's", 'aria-label': 'Seed' });
  const runButton = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const seeds = h('input', { type: 'number', min: 1, max: MAX_SEEDS, step: 1, value: '1', name: 'seeds', 'aria-label': 'Seeds' });

  function showScenarioHelp(): void {
    scenarioHelp.textContent = scenarios.find((x) => x.name === bundled.value)?.description ?? '';
  }

  const showIssues = (issues: ScenarioIssueInfo[]) => {
    fileInput.setAttribute('aria-invalid', issues.length ? 'true' : 'false');
    issuesBox.replaceChildren(
      ...(issues.length
        ? [h('div', { class: 'issues', role: 'alert' }, h('strong', {}, 'This scenario file has errors:'), h('ul', {}, ...issues.map((i) => h('li', { class: 'field-error' }, h('code', {}, i.path), `: ${i.message}`))))]
        : []),
    );
  };

  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    fileText = null;
    showIssues([]);
    if (!file) return;
    const text = await file.text();
    const syntax = jsonSyntaxError(text);
    if (syntax) return showIssues([{ path: '(file)', message: syntax }]);
    try {
      const v = await ctx.api.call('scenarios.validate', { text });
      if (v.ok) {
        fileText = text;
        issuesBox.replaceChildren(h('p', { class: 'ok' }, `Valid: "${v.scenario.name}", ${v.scenario.apps} apps, ${duration(v.scenario.durationMs)} on ${v.scenario.device}.`));
        fileInput.setAttribute('aria-invalid', 'false');
      } else showIssues(v.issues);
    } catch (err) {
      showIssues([{ path: '(file)', message: (err as Error).message }]);
    }
  });

  const loadRecording = async (id: number, form: HTMLFormElement) => {
    try {
      const exported = await ctx.api.call('recordings.export', { id });
      fileText = exported.text;
      (form.querySelector('input[value="file"]') as HTMLInputElement).checked = true;
      fileInput.setAttribute('aria-invalid', 'false');
      const recorded = (JSON.parse(exported.text) as { recorded?: RecordedOutcome }).recorded;
      issuesBox.replaceChildren(h('p', { class: 'ok recording-loaded' }, `Recording #${id} loaded as "${exported.name}"${recorded ? `: the live agent ran ${recorded.policy}` : ''}. Choose the policies and Run.`));
    } catch (err) {
      showIssues([{ path: `recording #${id}`, message: (err as Error).message }]);
    }
  };

  const run = async () => {
    const policies = [...policyBox.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    if (policies.length === 0) return toast('Pick at least one policy.', 'error');
    const useFile = (document.querySelector('input[name="source"]:checked') as HTMLInputElement | null)?.value === 'file';
    if (useFile && !fileText) return toast('Open a valid scenario file first.', 'error');
    runButton.disabled = true;
    results.replaceChildren(h('p', { class: 'muted' }, 'Replaying…'));
    try {
      const scenario = useFile ? { text: fileText! } : { name: bundled.value };
      const n = Math.max(1, Math.min(MAX_SEEDS, Math.floor(Number(seeds.value) || 1)));
      if (n === 1) {
        showReport(await ctx.api.call('replay.run', { scenario, policies, ...(seed.value ? { seed: Number(seed.value) } : {}) }));
        void loadRuns();
        return;
      }
      // A suite over seeds: each run replayed without storing (n runs would crowd the stored
      // list), then the median and range per metric, as `reclaimd bench` reports them.
      const base = seed.value ? Number(seed.value) : 1;
      const reports: ReplayReportInfo[] = [];
      for (let i = 0; i < n; i++) {
        results.replaceChildren(h('p', { class: 'muted' }, `Replaying seed ${base + i} (${i + 1} of ${n})…`));
        reports.push(await ctx.api.call('replay.run', { scenario, policies, seed: base + i, store: false }));
      }
      showReport(reports[0]);
      results.prepend(suiteTable(reports, base));
    } catch (err) {
      results.replaceChildren(h('p', { class: 'bad', role: 'alert' }, (err as ApiError).field ? `${(err as ApiError).field}: ${(err as Error).message}` : (err as Error).message));
    } finally {
      runButton.disabled = false;
    }
  };

  const showReport = (report: ReplayReportInfo) => {
    for (const c of charts) c.destroy();
    charts = [];
    const table = metricsTable(report.runs.map((r) => ({ name: r.policy, metrics: r.metrics })), report.recorded);
    const boxes = [h('div'), h('div'), h('div'), h('div')];
    results.replaceChildren(
      h('h2', {}, `${report.scenario} on ${report.device}, ${duration(report.durationMs)}`),
      h('p', { class: 'muted' }, report.description ?? ''),
      h('p', { class: 'verdict', role: 'status' }, report.verdict),
      report.recorded ? h('p', { class: 'muted recorded-note' }, `"recorded": what really happened while the live agent ran ${report.recorded.policy}${report.recorded.dryRun ? ' as a dry run' : ''}; "–" where a recording has no such metric.`) : '',
      storedNote(report),
      h('ul', { class: 'policy-descriptions' }, ...report.runs.map((r) => h('li', {}, h('strong', {}, r.policy), ': ', policyInfo.find((p) => p.name === r.policy)?.description ?? ''))),
      h('div', { class: 'panel' }, table),
      h('div', { class: 'grid', style: 'margin-top:16px' }, ...boxes.map((b) => h('section', { class: 'panel' }, b))),
    );
    const t = report.runs[0]?.timeline.t.map((ms) => ms / 1000) ?? [];
    const kills = () =>
      report.runs.flatMap((r, i) =>
        r.events.filter((e) => e.type === 'agent-kill' || e.type === 'oom-kill').map((e) => ({
          t: e.at / 1000,
          label: `${clockSeconds(e.at / 1000)} ${r.policy}: ${e.type === 'oom-kill' ? 'kernel OOM killed' : 'killed'} ${e.app}`,
          color: POLICY_COLORS[i % POLICY_COLORS.length],
        })),
      );
    const perPolicy = (title: string, pick: (r: ReplayReportInfo['runs'][number]) => number[], yFormat: (v: number) => string, stepped = false) => {
      const chart = new Chart(boxes[charts.length], {
        title,
        relativeTime: true,
        syncKey: 'replay',
        markers: kills,
        yFormat,
        series: report.runs.map((r, i) => ({ label: r.policy, color: POLICY_COLORS[i % POLICY_COLORS.length], stepped, width: 2, dash: POLICY_DASHES[i % POLICY_DASHES.length], value: (v: number | null) => (v === null ? '–' : yFormat(v)) })),
      });
      chart.setData([t, ...report.runs.map((r) => pick(r).slice(0, t.length))]);
      charts.push(chart);
    };
    perPolicy('Pressure level, kills marked ▼', (r) => r.timeline.level, (v) => PRESSURE_LEVELS[v] ?? '', true);
    perPolicy('Foreground stall per second', (r) => r.timeline.stallMs, (v) => `${Math.round(v)} ms`);
    perPolicy('Free memory', (r) => r.timeline.freeBytes, (v) => bytes(v));
    perPolicy('zram (RAM used)', (r) => r.timeline.zramBytes, (v) => bytes(v));
  };

  /** Stored runs side by side again: their metrics, as when they ran (the timelines are not stored). */
  const openStored = (runs: RunInfo[]) => {
    const ids = new Set([...runsBox.querySelectorAll<HTMLInputElement>('input[name="stored-run"]:checked')].map((i) => Number(i.value)));
    const chosen = runs.filter((r) => ids.has(r.id) && METRICS.every((m) => r.metrics[m.key] !== undefined));
    if (chosen.length === 0) return toast('Select one or more stored runs first.', 'error');
    for (const c of charts) c.destroy();
    charts = [];
    results.replaceChildren(
      h('h2', {}, `Stored runs ${chosen.map((r) => `#${r.id}`).join(', ')}`),
      h('p', { class: 'muted' }, chosen.map((r) => `#${r.id}: ${r.scenario}, ${r.policy}, seed ${r.seed}, ${dateTime(r.createdAt)}`).join(' · ')),
      h('div', { class: 'panel' }, metricsTable(chosen.map((r) => ({ name: `#${r.id} ${r.policy}`, metrics: r.metrics as unknown as ReplayMetrics })))),
    );
    results.scrollIntoView({ block: 'start' });
  };

  const loadRuns = async () => {
    try {
      const runs: RunInfo[] = await ctx.api.call('runs.list', { limit: 50 });
      runsBox.replaceChildren(
        runs.length
          ? h('table', { class: 'simple', 'aria-label': 'Stored runs' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Open'), h('th', {}, '#'), h('th', {}, 'when'), h('th', {}, 'scenario'), h('th', {}, 'policy'), h('th', { class: 'num' }, 'seed'), h('th', { class: 'num' }, 'kills'), h('th', { class: 'num' }, 'user wait'))),
              h('tbody', {}, ...runs.map((r) => {
                const m = r.metrics as Partial<ReplayMetrics>;
                return h('tr', {}, h('td', {}, h('input', { type: 'checkbox', name: 'stored-run', value: r.id, 'aria-label': `Select run ${r.id} (${r.scenario}, ${r.policy})` })), h('td', {}, r.id), h('td', {}, dateTime(r.createdAt)), h('td', {}, r.scenario), h('td', {}, r.policy), h('td', { class: 'num' }, r.seed),
                  h('td', { class: 'num' }, (m.agentKills ?? 0) + (m.oomKills ?? 0)), h('td', { class: 'num' }, m.userWaitMs === undefined ? '–' : duration(m.userWaitMs)));
              })))
          : h('p', { class: 'muted' }, 'No stored runs yet.'),
        runs.length ? h('div', { class: 'toolbar', style: 'margin-top:8px' }, h('button', { type: 'button', onclick: () => openStored(runs) }, 'Compare the selected runs')) : '',
      );
    } catch (err) {
      runsBox.replaceChildren(h('p', { class: 'bad' }, (err as Error).message));
    }
  };

  return {
    mount(container) {
      const radio = (value: string, label: string, checked: boolean) => h('label', { class: 'check' }, h('input', { type: 'radio', name: 'source', value, checked }), label);
      const form = h('form', { 'aria-label': 'Replay' },
        h('div', { class: 'toolbar' },
          radio('bundled', 'Bundled scenario', true), bundled,
          radio('file', 'Scenario file', false), fileInput,
          h('label', {}, 'Seed', seed),
          h('label', { title: `Replay each policy with this many seeds (from the seed above, or 1) and show the median and range; at most ${MAX_SEEDS}.` }, 'Seeds', seeds)),
        scenarioHelp,
        issuesBox,
        policyBox,
        h('div', { class: 'toolbar' }, runButton));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void run();
      });
      fileInput.addEventListener('change', () => ((form.querySelector('input[value="file"]') as HTMLInputElement).checked = true));
      bundled.addEventListener('change', showScenarioHelp);
      container.append(h('h1', {}, 'Replay'), h('section', { class: 'panel' }, form), h('div', { style: 'margin-top:16px' }, results),
        h('section', { class: 'panel', style: 'margin-top:16px' }, h('h2', {}, 'Stored runs'), runsBox));
      void ctx.api.call('scenarios.list', {}).then((list: ScenarioInfo[]) => {
        bundled.replaceChildren(...list.map((s) => h('option', { value: s.name, title: s.description }, `${s.name} (${s.device}, ${duration(s.durationMs)})`)));
        bundled.value = list.some((s) => s.name === 'game-call') ? 'game-call' : (list[0]?.name ?? '');
        scenarios = list;
        showScenarioHelp();
      });
      void ctx.api.call('policies.list', {}).then((list: PolicyInfo[]) => {
        policyInfo = list;
        for (const p of list) {
          policyBox.append(h('label', { class: 'check policy-choice' }, h('input', { type: 'checkbox', name: 'policy', value: p.name, checked: DEFAULT_COMPARED.includes(p.name) }),
            h('span', {}, h('strong', {}, p.name), h('span', { class: 'muted' }, ` — ${p.description}`))));
        }
      });
      void loadRuns();
      // #replay?recording=ID (History's Recordings): that recording, exported as a scenario, loaded as the file.
      const recording = Number(new URLSearchParams(location.hash.split('?')[1] ?? '').get('recording'));
      if (Number.isInteger(recording) && recording > 0) void loadRecording(recording, form);
    },
    unmount() {
      for (const c of charts) c.destroy();
    },
  };
}

/**
 * Where each run went among the stored runs: a run replayed again with the same scenario,
 * policy, parameters and seed gives the same result, and is listed once — named here.
 */
function storedNote(report: ReplayReportInfo): HTMLElement | '' {
  const again = report.runs.filter((r) => r.reused && r.runId !== null);
  const fresh = report.runs.filter((r) => !r.reused && r.runId !== null);
  if (again.length === 0 && fresh.length === 0) return '';
  const list = (runs: ReplayReportInfo['runs']) => runs.map((r) => `${r.policy} #${r.runId}`).join(', ');
  return h('p', { class: 'muted stored-note' },
    fresh.length ? `Stored as ${list(fresh)}. ` : '',
    again.length ? `Already stored, not stored again: ${list(again)} (the same scenario, policy, parameters and seed gave the same result).` : '');
}

/** A JSON syntax error named by line and column: the browser's own message gives neither. */
export function jsonSyntaxError(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const before = text.slice(0, offset).split('\n');
    const message = (err as Error).message.replace(/,? ?".*$/s, '').replace(/ in JSON at .*$/, '');
    return `not valid JSON at line ${before.length}, column ${before[before.length - 1].length + 1}: ${message}`;
  }
}

/** Where JSON.parse gave up: a small recursive-descent scan of the same grammar. */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!lit) fail();
    i += lit![0].length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (at) {
    return typeof at === 'number' ? at : 0;
  }
}

/** The metrics side by side, the better value of each row marked; kills, state lost and user wait first. */
function metricsTable(runs: { name: string; metrics: ReplayMetrics }[], recorded: RecordedOutcome | null = null): HTMLTableElement {
  const head = h('tr', {}, h('th', { scope: 'col' }, 'metric'), ...runs.map((r) => h('th', { class: 'num', scope: 'col' }, r.name)), ...(recorded ? [h('th', { class: 'num recorded', scope: 'col' }, 'recorded')] : []));
  // The recorded column: only the metrics a recording measures (common/recorded.ts); never marked better, it is what happened.
  const recordedCell = (m: (typeof METRICS)[number]) =>
    recorded ? [h('td', { class: 'num recorded' }, (RECORDED_METRIC_KEYS as readonly string[]).includes(m.key) ? m.show(recorded as unknown as ReplayMetrics) : '–')] : [];
  const body = METRICS.map((m) => {
    const values = runs.map((r) => m.value(r.metrics));
    const best = m.better === 'lower' ? Math.min(...values) : m.better === 'higher' ? Math.max(...values) : null;
    const distinct = new Set(values).size > 1;
    return h('tr', {}, h('th', { scope: 'row' }, m.label),
      ...runs.map((r, i) => {
        const isBest = best !== null && distinct && values[i] === best;
        return h('td', { class: `num${isBest ? ' better' : ''}`, title: isBest ? 'better' : undefined }, m.show(r.metrics), isBest ? ' ✓' : '');
      }),
      ...recordedCell(m));
  });
  return h('table', { class: 'simple metrics', 'aria-label': 'Metrics by policy' }, h('thead', {}, head),
    h('tbody', { class: 'headline' }, ...body.slice(0, HEADLINE_METRICS)), h('tbody', {}, ...body.slice(HEADLINE_METRICS)));
}

/** Median and range over seeds, per policy: the benchmark suite's table. */
function suiteTable(reports: ReplayReportInfo[], base: number): HTMLElement {
  const policies = reports[0].runs.map((r) => r.policy);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const rows = SUITE.map((m) =>
    h('tr', {}, h('th', { scope: 'row' }, m.label),
      ...policies.map((_, i) => {
        const xs = reports.map((r) => m.value(r.runs[i].metrics));
        return h('td', { class: 'num' }, m.show(median(xs)), h('span', { class: 'muted' }, ` (${m.show(Math.min(...xs))}–${m.show(Math.max(...xs))})`));
      })));
  return h('section', { class: 'panel suite', style: 'margin-bottom:16px' },
    h('h2', {}, `Over ${reports.length} seeds (${base}–${base + reports.length - 1}): median (range)`),
    h('table', { class: 'simple', 'aria-label': 'Median and range over seeds' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'metric'), ...policies.map((p) => h('th', { class: 'num', scope: 'col' }, p)))),
      h('tbody', {}, ...rows)));
}
