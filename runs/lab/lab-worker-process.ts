import { spawn, type ChildProcess } from 'node:child_process';

/** One running app of the lab: a lab-worker process we talk to over stdin/stdout. */
export class LabWorker {
  readonly pid: number;
  /** Foreground touch-pass durations (µs), as reported. */
  readonly passesUs: number[] = [];
  exited = false;
  exitSignal: NodeJS.Signals | null = null;
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.pid = child.pid!;
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) if (l.startsWith('pass ')) this.passesUs.push(Number(l.slice(5)));
    });
    child.on('exit', (_code, signal) => {
      this.exited = true;
      this.exitSignal = signal;
    });
  }

  /** Start one and wait until its memory is allocated and touched ("ready"). */
  static start(argv: string[], readyTimeoutMs = 60_000): Promise<{ worker: LabWorker; launchMs: number }> {
    const started = Date.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => undefined); // writing to a worker the kernel killed
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`worker ${argv.join(' ')} not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve({ worker: new LabWorker(child), launchMs: Date.now() - started });
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited before ready (${code ?? signal}): ${out.trim()}`));
      });
    });
  }

  send(command: string): void {
    if (!this.exited) this.child.stdin!.write(command + '\n');
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
