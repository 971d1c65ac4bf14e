// One typed channel between the agent and each of its workers — worker threads, forked Node
// processes and plain programs talking lines on stdio alike — so that every worker gets the
// same request ids, typed replies, errors carried across, and the same answer when it dies:
// every pending request rejected with an error naming the worker and how it ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { parentPort, Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * What one worker protocol carries. `requests` are answered by the worker (a method per
 * request: its argument and its result); `commands` go one way to the worker, `events` one
 * way from it (the name and its argument).
 */
export interface Protocol {
  requests: Record<string, (arg: never) => unknown>;
  commands: Record<string, unknown>;
  events: Record<string, unknown>;
}

type ArgOf<F> = F extends (arg: infer A) => unknown ? A : never;
type ResultOf<F> = F extends (arg: never) => infer R ? Awaited<R> : never;

/** How a worker's handlers answer its requests and hear its commands. */
export interface WorkerHandlers<P extends Protocol> {
  requests?: { [K in keyof P['requests']]: (arg: ArgOf<P['requests'][K]>) => ResultOf<P['requests'][K]> | Promise<ResultOf<P['requests'][K]>> };
  commands?: { [K in keyof P['commands']]?: (arg: P['commands'][K]) => void };
}

/** What travels on the wire: one shape for every worker. */
export type Wire =
  | { t: 'request'; id: number; op: string; arg: unknown }
  | { t: 'reply'; id: number; value: unknown }
  | { t: 'failure'; id: number; error: { name: string; message: string; stack?: string } }
  | { t: 'message'; name: string; arg: unknown };

/** A request the worker failed: its own message, and where it came from (worker, request, its stack). */
export class WorkerError extends Error {
  constructor(
    readonly worker: string,
    readonly op: string,
    remote: { name: string; message: string; stack?: string },
  ) {
    // The message stays the worker's own: callers record it as the action's outcome.
    super(remote.message);
    this.name = remote.name;
    this.stack = `${remote.stack ?? `${remote.name}: ${remote.message}`}\n    at ${worker} (request ${op})`;
  }
}

/** A worker that ended (or was closed) while a request waited for it. */
export class WorkerGoneError extends Error {
  constructor(
    readonly worker: string,
    readonly how: string,
    readonly op: string,
  ) {
    super(`${worker} ${how} before answering ${op}`);
    this.name = 'WorkerGoneError';
  }
}

/** The owner's side of a transport: it moves Wire messages and says once how the other side ended. */
export interface Endpoint {
  post(msg: Wire): void;
  receive(f: (msg: Wire) => void): void;
  ended(f: (how: string) => void): void;
  /** End the other side now (terminate, SIGKILL); `ended` follows. */
  stop(): void;
  /** Whether this worker keeps the owner's process alive. */
  hold(keep: boolean): void;
}

/** How much of a child's stderr an exit reports: its last words (a usage line, a crash message), not a log. */
const STDERR_TAIL_CHARS = 2000;

/**
 * The owner's handle on one worker. Idle, it does not keep the process alive (unless asked
 * to): a forgotten worker must not keep a test run or the CLI alive.
 */
export class Channel<P extends Protocol> {
  private readonly pending = new Map<number, { op: string; resolve: (v: never) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, ((arg: never) => void)[]>();
  private nextId = 0;
  private how: string | null = null;
  private closing: string | null = null;
  /** Resolves once the worker has ended, with how (its exit code or signal, or why it failed). */
  readonly exited: Promise<string>;

  constructor(
    /** Names the worker in every error ("reclaim worker", "lab worker 1234"). */
    readonly name: string,
    private readonly end: Endpoint,
    private readonly keepAlive = false,
  ) {
    end.receive((msg) => this.receive(msg));
    this.exited = new Promise((resolve) =>
      end.ended((how) => {
        this.how = how;
        this.failAll(this.closing ?? how);
        resolve(how);
      }),
    );
    end.hold(keepAlive);
  }

  /** A worker thread running `script` (see compiledScript). */
  static thread<P extends Protocol>(name: string, script: string, options: WorkerOptions = {}, keepAlive = false): Channel<P> {
    return new Channel<P>(name, threadEndpoint(new Worker(script, options)), keepAlive);
  }

  /** A forked Node process running `script`, which serves the channel with serveChannel(). */
  static fork<P extends Protocol>(name: string, argv: string[], keepAlive = false): Channel<P> {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' });
    return new Channel<P>(name, childEndpoint(child, 'ipc'), keepAlive);
  }

  /**
   * A program speaking lines on stdio (the lab's C worker): a line "name rest" is the event
   * `name` with the argument "rest"; a command is written the same way. Lines carry no ids,
   * so such a worker takes commands only.
   */
  static lines<P extends Protocol>(name: string, argv: string[], keepAlive = true): Channel<P> & { readonly pid: number } {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    return Object.assign(new Channel<P>(name, childEndpoint(child, 'lines'), keepAlive), { pid: child.pid ?? -1 });
  }

  /** Whether the worker has ended. */
  get ended(): boolean {
    return this.how !== null;
  }

  request<K extends keyof P['requests'] & string>(op: K, arg: ArgOf<P['requests'][K]>): Promise<ResultOf<P['requests'][K]>> {
    if (this.how !== null) return Promise.reject(new WorkerGoneError(this.name, this.closing ?? this.how, op));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { op, resolve: resolve as (v: never) => void, reject });
      this.end.hold(true);
      try {
        this.end.post({ t: 'request', id, op, arg });
      } catch (err) {
        this.settle(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** A one-way command; one to a worker that has ended is dropped (there is nobody to tell). */
  send<K extends keyof P['commands'] & string>(name: K, ...arg: P['commands'][K] extends undefined ? [] : [P['commands'][K]]): void {
    if (this.how === null) this.end.post({ t: 'message', name, arg: arg[0] });
  }

  on<K extends keyof P['events'] & string>(name: K, f: (arg: P['events'][K]) => void): this {
    const list = this.listeners.get(name) ?? [];
    list.push(f as (arg: never) => void);
    this.listeners.set(name, list);
    return this;
  }

  off<K extends keyof P['events'] & string>(name: K, f: (arg: P['events'][K]) => void): this {
    this.listeners.set(name, (this.listeners.get(name) ?? []).filter((g) => g !== f));
    return this;
  }

  /** End the worker now: pending requests are rejected as closed; resolves once it is gone. */
  async close(): Promise<void> {
    if (this.how === null) {
      this.closing = 'was closed';
      this.end.stop();
    }
    await this.exited;
  }

  private receive(msg: Wire): void {
    if (msg.t === 'message') {
      for (const f of this.listeners.get(msg.name) ?? []) f(msg.arg as never);
      return;
    }
    if (msg.t !== 'reply' && msg.t !== 'failure') return;
    const req = this.settle(msg.id);
    if (!req) return; // answered after a close: nobody waits for it
    if (msg.t === 'reply') req.resolve(msg.value as never);
    else req.reject(new WorkerError(this.name, req.op, msg.error));
  }

  private settle(id: number) {
    const req = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.end.hold(this.keepAlive);
    return req;
  }

  private failAll(how: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const req of waiting) req.reject(new WorkerGoneError(this.name, how, req.op));
  }
}

function threadEndpoint(worker: Worker): Endpoint {
  let failure: Error | null = null;
  return {
    post: (msg) => worker.postMessage(msg),
    receive: (f) => worker.on('message', f),
    ended: (f) => {
      // An uncaught exception in the thread comes as 'error', then 'exit' with code 1.
      worker.on('error', (err) => (failure = err));
      worker.once('exit', (code) => f(failure ? `failed (${failure.message}) and exited with code ${code}` : `exited with code ${code}`));
    },
    stop: () => void worker.terminate(),
    hold: (keep) => (keep ? worker.ref() : worker.unref()),
  };
}

function childEndpoint(child: ChildProcess, codec: 'ipc' | 'lines'): Endpoint {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-STDERR_TAIL_CHARS)));
  // Writing to a worker the kernel killed: its exit says what happened.
  child.stdin?.on('error', () => undefined);
  return {
    post: (msg) => {
      if (codec === 'ipc') child.send(msg);
      else if (msg.t === 'message') child.stdin!.write(msg.arg === undefined ? `${msg.name}\n` : `${msg.name} ${String(msg.arg)}\n`);
      else throw new Error(`${msg.t} over a line worker: lines carry no ids, so it takes commands only`);
    },
    receive: (f) => {
      if (codec === 'ipc') {
        child.on('message', (m: Wire) => f(m));
        return;
      }
      let buffer = '';
      child.stdout!.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const l of lines) {
          const sp = l.indexOf(' ');
          f({ t: 'message', name: sp < 0 ? l : l.slice(0, sp), arg: sp < 0 ? undefined : l.slice(sp + 1) });
        }
      });
    },
    ended: (f) => {
      let said = false;
      const once = (how: string) => {
        if (said) return;
        said = true;
        const words = stderr.trim();
        f(words ? `${how}: ${words}` : how);
      };
      // 'close', not 'exit': by then its stdout and stderr are read to the end.
      child.once('close', (code, signal) => once(signal ? `was killed by ${signal}` : `exited with code ${code}`));
      child.once('error', (err) => {
        if (child.pid === undefined) once(`could not start (${err.message})`);
      });
    },
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    hold: (keep) => {
      if (keep) child.ref();
      else child.unref();
      const ipc = child.channel as { ref(): void; unref(): void } | undefined | null;
      if (ipc) keep ? ipc.ref() : ipc.unref();
    },
  };
}

/**
 * The worker's side, inside a worker thread or a forked process: answer requests with
 * `handlers.requests`, hear commands with `handlers.commands`, and emit events. It listens
 * only if there is something to hear, so a worker that only emits still ends when its work does.
 */
export function serveChannel<P extends Protocol>(handlers: WorkerHandlers<P> = {}): { emit<K extends keyof P['events'] & string>(name: K, arg: P['events'][K]): void } {
  const post: (msg: Wire) => void = parentPort
    ? (msg) => parentPort!.postMessage(msg)
    : process.send
      ? (msg) => void process.send!(msg)
      : () => {
          throw new Error('serveChannel: neither a worker thread nor a forked process (no parent to talk to)');
        };
  const failure = (id: number, err: unknown): Wire => {
    const e = err instanceof Error ? err : new Error(String(err));
    return { t: 'failure', id, error: { name: e.name, message: e.message, stack: e.stack } };
  };
  const answer = (id: number, value: unknown) => {
    try {
      post({ t: 'reply', id, value });
    } catch (err) {
      post(failure(id, err)); // a result that cannot be cloned
    }
  };
  const requests = (handlers.requests ?? {}) as Record<string, (arg: unknown) => unknown>;
  const commands = (handlers.commands ?? {}) as Record<string, ((arg: unknown) => void) | undefined>;
  const onMessage = (msg: Wire) => {
    if (msg.t === 'message') {
      commands[msg.name]?.(msg.arg);
    } else if (msg.t === 'request') {
      const handler = Object.hasOwn(requests, msg.op) ? requests[msg.op] : undefined;
      if (!handler) return post(failure(msg.id, new Error(`no such request: ${msg.op}`)));
      try {
        const r = handler(msg.arg);
        if (r instanceof Promise) r.then((v) => answer(msg.id, v), (err) => post(failure(msg.id, err)));
        else answer(msg.id, r);
      } catch (err) {
        post(failure(msg.id, err));
      }
    }
  };
  if (handlers.requests || handlers.commands) {
    if (parentPort) parentPort.on('message', onMessage);
    else process.on('message', (m) => onMessage(m as Wire));
  }
  return { emit: (name, arg) => post({ t: 'message', name, arg }) };
}
