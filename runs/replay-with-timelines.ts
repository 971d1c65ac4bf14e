import type { Db } from '../db/open';
import type { Scenario } from '../scenario/scenario';
import type { SimHost } from '../host/sim/sim-host';
import type { PolicyRegistry } from '../policy-engine/registry';
import { levelRank } from '../policy-engine/types';
import { psiDetectorFor } from '../policy-engine/detectors/psi-detector';
import type { ReplayReportInfo, ReplayRunInfo, ReplayTimeline } from '../common/api/contract';
import { runAndRecord } from './record-run';
import { verdict } from './verdict';

export interface ReplayRequest {
  scenario: Scenario;
  /** The scenario's text, for the stored run's hash. */
  text: string;
  policies: string[];
  seed?: number;
  params: Record<string, unknown>;
  /** Store each run and its decisions (the Replay page's "stored runs"). */
  db: Db | null;
}

const SAMPLE_MS = 1000;

/** Replay a scenario under each policy with a per-second timeline for the charts. */
export function replayWithTimelines(req: ReplayRequest, registry: PolicyRegistry): ReplayReportInfo {
  const detector = psiDetectorFor(req.scenario.device);
  const runs = req.policies.map((policy): ReplayRunInfo => {
    const timeline = emptyTimeline();
    let stallUs = 0;
    const sample = (host: SimHost) => {
      const s = host.sample();
      const m = s.memory;
      timeline.t.push(host.now());
      timeline.level.push(levelRank(detector.level(s)));
      timeline.psiSome.push(s.psi?.someAvg10 ?? 0);
      timeline.psiFull.push(s.psi?.fullAvg10 ?? 0);
      timeline.anonBytes.push(m.anonBytes ?? 0);
      timeline.fileBytes.push(m.fileCacheBytes ?? 0);
      timeline.zramBytes.push(m.zramBytes ?? 0);
      timeline.freeBytes.push(m.freeBytes);
      timeline.stallMs.push(Math.round((host.counters.foregroundStallUs - stallUs) / 100) / 10);
      stallUs = host.counters.foregroundStallUs;
    };
    const { result, stored } = runAndRecord(req.scenario, { registry, policy, params: req.params, seed: req.seed, db: req.db, scenarioText: req.text, onSample: sample, sampleEveryMs: SAMPLE_MS });
    return {
      policy: result.policy,
      seed: result.seed,
      runId: stored?.runId ?? null,
      notStored: stored?.notStored ?? null,
      reused: stored?.reused ?? false,
      metrics: result.metrics,
      timeline,
      events: result.events.map((e) => ({ ...e })),
    };
  });
  return { scenario: req.scenario.name, description: req.scenario.description, device: req.scenario.device.name, durationMs: req.scenario.durationMs, runs, verdict: verdict({ runs }), recorded: req.scenario.recorded ?? null };
}

function emptyTimeline(): ReplayTimeline {
  return { t: [], level: [], psiSome: [], psiFull: [], anonBytes: [], fileBytes: [], zramBytes: [], freeBytes: [], stallMs: [] };
}
