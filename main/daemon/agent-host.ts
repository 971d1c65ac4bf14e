import { asyncScheduler } from 'rxjs';
import { LinuxHost } from '../../host/linux/linux-host';
import { capabilityLimits, reclaimImpossible } from '../../host/linux/privileges';
import { lockAgentMemory, raiseMainThread } from '../../host/linux/realtime';
import { ObserveOnlyHost } from '../../host/observe/observe-only-host';
import { withUserPriorities } from '../../host/priority-overlay';
import type { Scenario } from '../../scenario/scenario';
import { SimHost } from '../../host/sim/sim-host';
import type { Host } from '../../policy-engine/host-contract';
import { availableMemoryDetector, psiDetector, psiDetectorFor, type PressureDetector } from '../../policy-engine/detectors/index';
import { LMKD_PSI_TRIGGERS } from '../../policy-engine/detectors/psi-triggers';
import type { UserPriority } from '../../policy-engine/types';
import type { HostKind } from '../../common/api/contract';

/** The host an agent runs on, with what it is and what it cannot do. */
export interface AgentHost {
  kind: HostKind;
  host: Host;
  /** Judges this host's readings (the engine's and the charts'): what the host can measure decides which. */
  detector: PressureDetector;
  detail: string;
  /** What this host cannot do here (missing capability…); empty when fully capable. */
  limits: string[];
  /** Decisions on this host are dry runs whatever the settings say (observe-only). */
  forcedDryRun: boolean;
  /** The memcg v1 directory the linux host is limited to, else null (what a recording is scoped to). */
  scope: string | null;
  close(): Promise<void>;
}

export interface AgentHostOptions {
  kind: 'sim' | 'linux';
  /** The sim host's scenario; it plays in real time and loops. */
  scenario?: Scenario;
  memcg?: string;
  /** Pids the linux host treats as foreground (besides the X11 active window). */
  foreground?: number[];
  priorities: () => ReadonlyMap<string, UserPriority>;
  log: (line: string) => void;
}

/**
 * The simulated device (real time, looping, so the UI has life without root), the real
 * machine, or — where reclaim is impossible — the observe-only host with the reason.
 */
export function createAgentHost(options: AgentHostOptions): AgentHost {
  if (options.kind === 'sim') {
    if (!options.scenario) throw new Error('the sim host needs a scenario');
    const sim = new SimHost(options.scenario, asyncScheduler, { loop: true });
    sim.start();
    return {
      kind: 'sim',
      host: withUserPriorities(sim, options.priorities),
      detector: psiDetectorFor(options.scenario.device),
      detail: `simulated ${options.scenario.device.name} playing ${options.scenario.name} in real time (looping)`,
      limits: [],
      forcedDryRun: false,
      scope: null,
      close: async () => sim.stop(),
    };
  }
  const cannot = reclaimImpossible();
  if (cannot) {
    const observe = new ObserveOnlyHost();
    return {
      kind: 'observe',
      host: observe,
      // No kernel pressure signal to read here: available memory, as earlyoom judges it.
      detector: availableMemoryDetector(),
      detail: 'this machine, observe-only (memory and processes from systeminformation)',
      limits: [`observe-only: ${cannot}; decisions are logged as dry runs`],
      forcedDryRun: true,
      scope: null,
      close: () => observe.close(),
    };
  }
  const limits = capabilityLimits();
  // The agent must not fault on its own pages under the pressure it answers.
  const lock = lockAgentMemory();
  options.log(`memory: ${lock.detail}`);
  if (!lock.locked) limits.push(`agent memory ${lock.detail}`);
  const linux = new LinuxHost({
    memcg: options.memcg,
    priorities: options.priorities,
    onSourceInfo: (info) => {
      if (info.psi) options.log(`PSI trigger ${info.psi.some} / ${info.psi.full} on ${info.psi.path}`);
      if (info.vmpressure) options.log(`vmpressure on ${info.vmpressure}`);
      for (const e of info.errors) limits.push(`pressure source unavailable: ${e}`);
    },
    onReactionPriority: (priority) => {
      options.log(`reaction thread: ${priority ? `${priority.detail} (tid ${priority.tid})` : 'not started'}`);
      if (priority?.policy !== 'SCHED_FIFO') limits.push(`reaction thread at ${priority?.detail ?? 'normal priority'}: under CPU load its answer to a pressure event can be late`);
    },
  });
  for (const pid of options.foreground ?? []) linux.marked.mark(pid);
  linux.snapshot();
  linux.startBackgroundScan();
  // After the scan worker started (it stays at the normal priority): see AGENT_MAIN_NICE.
  const main = raiseMainThread();
  options.log(`main thread: ${main.priority.detail}`);
  if (main.priority.policy === 'normal') limits.push(`main thread at ${main.priority.detail}: under CPU load the plan and the events it had no answer for can be late`);
  return {
    kind: 'linux',
    host: linux,
    // The PSI triggers it registers with the kernel, so samples and events agree.
    detector: psiDetector(LMKD_PSI_TRIGGERS),
    detail: options.memcg ? `this machine, memcg ${options.memcg}` : 'this machine',
    limits,
    forcedDryRun: false,
    scope: options.memcg ?? null,
    close: () => linux.close(),
  };
}
