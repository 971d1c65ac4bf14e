import { Rng } from '../common/rng';

export interface GenerateOptions {
  apps: number;
  durationMs: number;
  seed: number;
  device?: string;
}

const KINDS = [
  { prefix: 'game', anon: [300, 1200], file: [100, 400], ws: 0.5, stateful: true },
  { prefix: 'browser', anon: [200, 700], file: [80, 250], ws: 0.35, stateful: true },
  { prefix: 'chat', anon: [80, 250], file: [30, 100], ws: 0.3, stateful: true },
  { prefix: 'social', anon: [150, 450], file: [60, 200], ws: 0.35, stateful: false },
  { prefix: 'maps', anon: [150, 400], file: [100, 300], ws: 0.3, stateful: false },
  { prefix: 'camera', anon: [100, 300], file: [40, 120], ws: 0.5, stateful: false },
  { prefix: 'notes', anon: [40, 120], file: [20, 60], ws: 0.3, stateful: true },
] as const;

/**
 * A random but reproducible day of use: a few services, many user apps, and a timeline of
 * app switches with occasional allocations, frees and priority changes.
 */
export function generateScenario(o: GenerateOptions): Record<string, unknown> {
  const rng = new Rng(o.seed);
  const serviceCount = Math.max(1, Math.round(o.apps / 10));
  const apps: Record<string, unknown>[] = [];
  for (let i = 0; i < o.apps; i++) {
    if (i < serviceCount) {
      apps.push({ id: `svc-${i}`, anon: `${rng.int(20, 120)}MiB`, file: `${rng.int(5, 40)}MiB`, importance: rng.pick(['service', 'perceptible', 'service'] as const), workingSet: 0.4 });
      continue;
    }
    const kind = rng.pick(KINDS);
    const app: Record<string, unknown> = {
      id: `${kind.prefix}-${i}`,
      anon: `${rng.int(kind.anon[0], kind.anon[1])}MiB`,
      file: `${rng.int(kind.file[0], kind.file[1])}MiB`,
      workingSet: kind.ws,
      stateful: kind.stateful,
    };
    if (rng.next() < 0.1) app.priority = rng.pick(['high', 'low', 'expendable'] as const);
    apps.push(app);
  }
  const user = apps.slice(serviceCount).map((a) => a.id as string);
  const timeline: Record<string, unknown>[] = [];
  for (let i = 0; i < serviceCount; i++) timeline.push({ at: `${i * 100}ms`, do: 'launch', app: apps[i].id });
  // Apps are used in bursts: the next one is usually among the recent few, as people do.
  const recent: string[] = [];
  let t = 1000;
  while (t < o.durationMs && user.length > 0) {
    const app = recent.length > 2 && rng.next() < 0.5 ? rng.pick(recent.slice(-5)) : rng.pick(user);
    timeline.push({ at: `${t}ms`, do: 'foreground', app });
    recent.push(app);
    if (recent.length > 10) recent.shift();
    const r = rng.next();
    if (r < 0.15) timeline.push({ at: `${t + 2000}ms`, do: 'allocate', app, size: `${rng.int(20, 300)}MiB`, over: `${rng.int(1, 20)}s` });
    else if (r < 0.2) timeline.push({ at: `${t + 2000}ms`, do: 'free', app, size: `${rng.int(10, 100)}MiB` });
    else if (r < 0.22) timeline.push({ at: `${t + 1000}ms`, do: 'priority', app: rng.pick(user), priority: rng.pick(['low', 'normal', 'high'] as const) });
    t += rng.int(5, 90) * 1000;
  }
  const valid = timeline.filter((s) => parseMs(s.at as string) <= o.durationMs);
  return {
    name: `generated-${o.apps}apps-seed${o.seed}`,
    description: `Generated: ${o.apps} apps over ${Math.round(o.durationMs / 60_000)} min, seed ${o.seed}.`,
    device: o.device ?? 'phone-4g',
    duration: `${o.durationMs}ms`,
    seed: o.seed,
    apps,
    timeline: valid,
  };
}

function parseMs(s: string): number {
  return Number(s.replace('ms', ''));
}

/**
 * Many small apps all running at once on a roomy device, switching foreground every few
 * seconds, with memory that rises and falls: a load test for the UI and the event stream
 * (1,000 processes updating ten times a second), not a model of a real phone.
 */
export function generateCrowdScenario(o: { apps: number; durationMs: number; seed: number }): Record<string, unknown> {
  const rng = new Rng(o.seed);
  const apps = Array.from({ length: o.apps }, (_, i) => ({ id: `app-${String(i).padStart(4, '0')}`, anon: `${rng.int(8, 40)}MiB`, file: `${rng.int(2, 12)}MiB`, workingSet: 0.3 }));
  const timeline: Record<string, unknown>[] = apps.map((a) => ({ at: 0, do: 'launch', app: a.id }));
  for (let t = 1000; t + 3000 <= o.durationMs; t += 3000) {
    const app = apps[rng.int(0, apps.length - 1)].id;
    timeline.push({ at: t, do: 'foreground', app });
    timeline.push({ at: t + 500, do: 'allocate', app, size: `${rng.int(50, 400)}MiB`, over: '1s' });
    timeline.push({ at: t + 2500, do: 'background', app });
  }
  const ramGiB = Math.max(8, Math.ceil((o.apps * 60) / 1024) + 4);
  return {
    name: `crowd-${o.apps}`,
    description: `${o.apps} small apps all running, switching every 3 s (a UI load test)`,
    device: { profile: 'phone-8g', ram: `${ramGiB}GiB` },
    duration: o.durationMs,
    seed: o.seed,
    apps,
    timeline,
  };
}
