import { spawnSync } from 'node:child_process';

/** Which pids are in the foreground right now, by the means the machine has. */
export interface ForegroundSource {
  readonly name: string;
  foregroundPids(): ReadonlySet<number>;
}

/** Pids the user (or the UI, or a test) marked as foreground. */
export class MarkedForeground implements ForegroundSource {
  readonly name = 'marked';
  private readonly pids = new Set<number>();
  mark(pid: number): void {
    this.pids.add(pid);
  }
  unmark(pid: number): void {
    this.pids.delete(pid);
  }
  foregroundPids(): ReadonlySet<number> {
    return this.pids;
  }
}

/** The X11 active window's process (_NET_ACTIVE_WINDOW → _NET_WM_PID), where a display exists. */
export class X11Foreground implements ForegroundSource {
  readonly name = 'x11';

  static available(env: NodeJS.ProcessEnv = process.env): boolean {
    return Boolean(env.DISPLAY) && spawnSync('xprop', ['-version'], { stdio: 'ignore' }).status === 0;
  }

  foregroundPids(): ReadonlySet<number> {
    const active = spawnSync('xprop', ['-root', '_NET_ACTIVE_WINDOW'], { encoding: 'utf8', timeout: 500 });
    const win = /window id # (0x[0-9a-f]+)/.exec(active.stdout ?? '')?.[1];
    if (!win || win === '0x0') return new Set();
    const pid = /_NET_WM_PID\(CARDINAL\) = (\d+)/.exec(spawnSync('xprop', ['-id', win, '_NET_WM_PID'], { encoding: 'utf8', timeout: 500 }).stdout ?? '')?.[1];
    return pid ? new Set([Number(pid)]) : new Set();
  }
}

/** Every source at once: marked pids always count, plus the display's active window. */
export class CombinedForeground implements ForegroundSource {
  readonly name: string;
  constructor(private readonly sources: readonly ForegroundSource[]) {
    this.name = sources.map((s) => s.name).join('+');
  }
  foregroundPids(): ReadonlySet<number> {
    const out = new Set<number>();
    for (const s of this.sources) for (const p of s.foregroundPids()) out.add(p);
    return out;
  }
}
