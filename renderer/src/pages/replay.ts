// Replay: a bundled scenario or a file (its validation errors shown at the field), the
// policies to compare, the metrics side by side with the better value marked, and the
// timelines on shared time axes; stored runs below.
import type { PolicyInfo, ReplayMetrics, ReplayReportInfo, RunInfo, ScenarioInfo, ScenarioIssueInfo } from '../../../main/api/contract';
import { ApiCallError } from '../api-client.js';
import type { AppContext, Page } from '../app';
import { Chart } from '../components/chart.js';
import { h, toast } from '../dom.js';
import { bytes, dateTime, duration } from '../format.js';

type MetricKey = keyof ReplayMetrics;
const METRICS: { key: MetricKey; label: string; better: 'lower' | 'higher' | null; show: (m: ReplayMetrics) => string; value: (m: ReplayMetrics) => number }[] = [
  { key: 'agentKills', label: 'agent kills', better: 'lower', show: (m) => String(m.agentKills), value: (m) => m.agentKills },
  { key: 'oomKills', label: 'kernel OOM kills', better: 'lower', show: (m) => String(m.oomKills), value: (m) => m.oomKills },
  { key: 'stateLoss', label: 'state lost', better: 'lower', show: (m) => String(m.stateLoss), value: (m) => m.stateLoss },
  { key: 'coldStarts', label: 'cold starts', better: 'lower', show: (m) => String(m.coldStarts), value: (m) => m.coldStarts },
  { key: 'warmResumes', label: 'warm resumes', better: 'higher', show: (m) => String(m.warmResumes), value: (m) => m.warmResumes },
  { key: 'foregroundStallMs', label: 'foreground stall', better: 'lower', show: (m) => duration(m.foregroundStallMs), value: (m) => m.foregroundStallMs },
  { key: 'userWaitMs', label: 'user wait', better: 'lower', show: (m) => duration(m.userWaitMs), value: (m) => m.userWaitMs },
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
const POLICY_COLORS = ['--anon', '--critical', '--file', '--medium', '--zram', '--low', '--free', '--muted'];

export function createReplayPage(ctx: AppContext): Page {
  let fileText: string | null = null;
  let charts: Chart[] = [];
  const results = h('section', { 'aria-live': 'polite' });
  const issuesBox = h('div', { id: 'scenario-file-errors' });
  const runsBox = h('div');
  const policyBox = h('fieldset', { class: 'toolbar' }, h('legend', {}, 'Policies'));
  const bundled = h('select', { name: 'scenario', 'aria-label': 'Bundled scenario' });
  const fileInput = h('input', { type: 'file', accept: '.json,application/json', name: 'scenario-file', 'aria-label': 'Scenario file', 'aria-describedby': 'scenario-file-errors' });
  const seed = h('input', { type: 'number', min: 0, max: 4294967295, name: 'seed', placeholder: "scenario's", 'aria-label': 'Seed' });
  const runButton = h('button', { type: 'submit', class: 'primary' }, 'Run');

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

  const run = async () => {
    const policies = [...policyBox.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    if (policies.length === 0) return toast('Pick at least one policy.', 'error');
    const useFile = (document.querySelector('input[name="source"]:checked') as HTMLInputElement | null)?.value === 'file';
    if (useFile && !fileText) return toast('Open a valid scenario file first.', 'error');
    runButton.disabled = true;
    results.replaceChildren(h('p', { class: 'muted' }, 'Replaying…'));
    try {
      const report = await ctx.api.call('replay.run', {
        scenario: useFile ? { text: fileText! } : { name: bundled.value },
        policies,
        ...(seed.value ? { seed: Number(seed.value) } : {}),
      });
      showReport(report);
      void loadRuns();
    } catch (err) {
      results.replaceChildren(h('p', { class: 'bad', role: 'alert' }, (err as ApiCallError).field ? `${(err as ApiCallError).field}: ${(err as Error).message}` : (err as Error).message));
    } finally {
      runButton.disabled = false;
    }
  };

  const showReport = (report: ReplayReportInfo) => {
    for (const c of charts) c.destroy();
    charts = [];
    const head = h('tr', {}, h('th', {}, 'metric'), ...report.runs.map((r) => h('th', { class: 'num', scope: 'col' }, r.policy)));
    const body = METRICS.map((m) => {
      const values = report.runs.map((r) => m.value(r.metrics));
      const best = m.better === 'lower' ? Math.min(...values) : m.better === 'higher' ? Math.max(...values) : null;
      const distinct = new Set(values).size > 1;
      return h('tr', {}, h('th', { scope: 'row' }, m.label),
        ...report.runs.map((r, i) => {
          const isBest = best !== null && distinct && values[i] === best;
          return h('td', { class: `num${isBest ? ' better' : ''}`, title: isBest ? 'better' : undefined }, m.show(r.metrics), isBest ? ' ✓' : '');
        }));
    });
    const table = h('table', { class: 'simple metrics', 'aria-label': 'Metrics by policy' }, h('thead', {}, head), h('tbody', {}, ...body));
    const boxes = [h('div'), h('div'), h('div'), h('div')];
    results.replaceChildren(
      h('h3', {}, `${report.scenario} on ${report.device}, ${duration(report.durationMs)}`),
      h('div', { class: 'panel' }, table),
      h('div', { class: 'grid', style: 'margin-top:16px' }, ...boxes.map((b) => h('section', { class: 'panel' }, b))),
    );
    const t = report.runs[0]?.timeline.t.map((ms) => ms / 1000) ?? [];
    const kills = () =>
      report.runs.flatMap((r) => r.events.filter((e) => e.type === 'agent-kill' || e.type === 'oom-kill').map((e) => ({ t: e.at / 1000, label: `${r.policy} ✕ ${e.app}` })));
    const perPolicy = (title: string, pick: (r: ReplayReportInfo['runs'][number]) => number[], yFormat?: (v: number) => string, stepped = false) => {
      const chart = new Chart(boxes[charts.length], {
        title,
        relativeTime: true,
        syncKey: 'replay',
        markers: kills,
        yFormat,
        series: report.runs.map((r, i) => ({ label: r.policy, color: POLICY_COLORS[i % POLICY_COLORS.length], stepped, width: 2 })),
      });
      chart.setData([t, ...report.runs.map((r) => pick(r).slice(0, t.length))]);
      charts.push(chart);
    };
    perPolicy('Pressure level (0 none … 3 critical), kills marked', (r) => r.timeline.level, (v) => ['none', 'low', 'medium', 'critical'][v] ?? '', true);
    perPolicy('Foreground stall per second (ms)', (r) => r.timeline.stallMs, (v) => `${v} ms`);
    perPolicy('Free memory', (r) => r.timeline.freeBytes, (v) => bytes(v));
    perPolicy('zram (RAM used)', (r) => r.timeline.zramBytes, (v) => bytes(v));
  };

  const loadRuns = async () => {
    try {
      const runs: RunInfo[] = await ctx.api.call('runs.list', { limit: 50 });
      runsBox.replaceChildren(
        runs.length
          ? h('table', { class: 'simple', 'aria-label': 'Stored runs' },
              h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'when'), h('th', {}, 'scenario'), h('th', {}, 'policy'), h('th', { class: 'num' }, 'seed'), h('th', { class: 'num' }, 'kills'), h('th', { class: 'num' }, 'user wait'))),
              h('tbody', {}, ...runs.map((r) => {
                const m = r.metrics as Partial<ReplayMetrics>;
                return h('tr', {}, h('td', {}, r.id), h('td', {}, dateTime(r.createdAt)), h('td', {}, r.scenario), h('td', {}, r.policy), h('td', { class: 'num' }, r.seed),
                  h('td', { class: 'num' }, (m.agentKills ?? 0) + (m.oomKills ?? 0)), h('td', { class: 'num' }, m.userWaitMs === undefined ? '–' : duration(m.userWaitMs)));
              })))
          : h('p', { class: 'muted' }, 'No stored runs yet.'),
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
          h('label', {}, 'Seed', seed)),
        issuesBox,
        policyBox,
        h('div', { class: 'toolbar' }, runButton));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void run();
      });
      fileInput.addEventListener('change', () => ((form.querySelector('input[value="file"]') as HTMLInputElement).checked = true));
      container.append(h('h2', {}, 'Replay'), h('section', { class: 'panel' }, form), h('div', { style: 'margin-top:16px' }, results),
        h('section', { class: 'panel', style: 'margin-top:16px' }, h('h3', {}, 'Stored runs'), runsBox));
      void ctx.api.call('scenarios.list', {}).then((list: ScenarioInfo[]) => {
        bundled.replaceChildren(...list.map((s) => h('option', { value: s.name, title: s.description }, `${s.name} (${s.device}, ${duration(s.durationMs)})`)));
        bundled.value = list.some((s) => s.name === 'game-call') ? 'game-call' : (list[0]?.name ?? '');
      });
      void ctx.api.call('policies.list', {}).then((list: PolicyInfo[]) => {
        for (const p of list) {
          policyBox.append(h('label', { class: 'check', title: p.description }, h('input', { type: 'checkbox', name: 'policy', value: p.name, checked: DEFAULT_COMPARED.includes(p.name) }), p.name));
        }
      });
      void loadRuns();
    },
    unmount() {
      for (const c of charts) c.destroy();
    },
  };
}
