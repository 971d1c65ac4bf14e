import { levelRank } from '../../../policy-engine/types';
import type { AgentCounters } from '../agent-counters';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

type Metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]) => void;

function exposition(write: (metric: Metric) => void): string {
  const out: string[] = [];
  write((name, type, help, samples) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
    }
  });
  return out.join('\n') + '\n';
}

/** The Prometheus text exposition of the agent's pressure, reclaim, decisions and kills. */
export function prometheusText(c: AgentCounters, info: { host: string; policy: string; mode: string; clients: number; droppedEvents: number }): string {
  return exposition((metric) => {
    metric('reclaimd_info', 'gauge', 'The running agent (value is always 1).', [[{ host: info.host, policy: info.policy, mode: info.mode }, 1]]);
    metric('reclaimd_pressure_level', 'gauge', 'Current pressure level: 0 none, 1 low, 2 medium, 3 critical.', [[{}, levelRank(c.level)]]);
    metric('reclaimd_psi_some_avg10_percent', 'gauge', 'Memory PSI some avg10.', [[{}, c.psiSome ?? 0]]);
    metric('reclaimd_psi_full_avg10_percent', 'gauge', 'Memory PSI full avg10.', [[{}, c.psiFull ?? 0]]);
    const split = (key: string) => key.split('\t');
    metric('reclaimd_reclaimed_bytes_total', 'counter', 'Bytes reclaimed by policy and kind.', [...c.reclaimedBy].map(([k, v]) => [{ policy: split(k)[0], kind: split(k)[1] }, v]));
    metric('reclaimd_decisions_total', 'counter', 'Decisions by policy, action and result.', [...c.decisionsBy].map(([k, v]) => [{ policy: split(k)[0], action: split(k)[1], result: split(k)[2] }, v]));
    metric('reclaimd_kills_total', 'counter', 'Processes killed by policy.', [...c.killsBy].map(([k, v]) => [{ policy: k }, v]));
    metric('reclaimd_engine_errors_total', 'counter', 'Times the pressure source failed and the engine restarted.', [[{}, c.engineErrors]]);
    metric('reclaimd_event_clients', 'gauge', 'Connected event-stream clients.', [[{}, info.clients]]);
    metric('reclaimd_event_messages_dropped_total', 'counter', 'Events dropped for clients that were not reading.', [[{}, info.droppedEvents]]);
  });
}

/** Why the server turned a connection or request away (the limits are in README's API section). */
export const REFUSAL_REASONS = ['too_deep', 'too_large', 'idle_timeout', 'conn_cap', 'busy'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The server's refusals by reason; every reason is listed, at 0 until it happens. */
export function refusalsText(counts: Readonly<Record<RefusalReason, number>>): string {
  return exposition((metric) =>
    metric('reclaimd_http_refused_total', 'counter', 'Connections and requests the server refused, by reason.', REFUSAL_REASONS.map((reason) => [{ reason }, counts[reason]])),
  );
}
