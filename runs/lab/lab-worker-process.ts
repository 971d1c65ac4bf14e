import { Channel } from '../../host/worker-channel';

/** What lab-worker.c says and hears, one line each (see its header). */
interface LabProtocol {
  requests: Record<never, never>;
  commands: { fg: undefined; bg: undefined; alloc: number; free: number; touch: number; quit: undefined };
  events: { ready: undefined; pass: string; touched: undefined };
}

export type LabCommand = { [K in keyof LabProtocol['commands']]: LabProtocol['commands'][K] extends undefined ? [K] : [K, LabProtocol['commands'][K]] }[keyof LabProtocol['commands']];

/** One running app of the lab: a lab-worker process on a channel over its stdin/stdout. */
export class LabWorker {
  /** Foreground touch-pass durations (µs), as reported. */
  readonly passesUs: number[] = [];

  private constructor(private readonly channel: Channel<LabProtocol> & { readonly pid: number }) {}

  get pid(): number {
    return this.channel.pid;
  }

  /** Whether it has ended (quit, or killed by the agent or the kernel). */
  get exited(): boolean {
    return this.channel.ended;
  }

  /** Start one and wait until its memory is allocated and touched ("ready"). */
  static start(name: string, argv: string[], readyTimeoutMs = 60_000): Promise<{ worker: LabWorker; launchMs: number }> {
    const started = Date.now();
    const worker = new LabWorker(Channel.lines<LabProtocol>(name, argv));
    worker.channel.on('pass', (us) => worker.passesUs.push(Number(us)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${name} (${argv.join(' ')}) not ready after ${readyTimeoutMs} ms`));
        void worker.kill(); // not left behind
      }, readyTimeoutMs);
      worker.channel.on('ready', () => {
        clearTimeout(timer);
        resolve({ worker, launchMs: Date.now() - started });
      });
      void worker.channel.exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`worker exited before ready: ${name} ${how} (${argv.join(' ')})`));
      });
    });
  }

  /** A command; one to a worker that has ended is dropped. */
  send(...command: LabCommand): void {
    const [name, arg] = command as [string, unknown?];
    (this.channel.send as (name: string, arg?: unknown) => void)(name, arg);
  }

  /** Kill it (if it still runs); resolves once it is gone. */
  kill(): Promise<void> {
    return this.channel.close();
  }
}
