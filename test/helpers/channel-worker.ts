// A worker for test/worker-channel.test.ts: the same script serves the channel from a worker
// thread and from a forked process, so both transports are tried on the same requests.
import { serveChannel } from '../../host/worker-channel';

export interface TestProtocol {
  requests: {
    echo(x: { text: string; n: number }): { text: string; n: number };
    fail(message: string): never;
    /** Ends the worker in the middle of the request: with this exit code, or by this signal. */
    crash(how: { code?: number; signal?: NodeJS.Signals; uncaught?: string }): never;
    /** Never answers (a request a close or a crash must reject). */
    hang(): never;
    pid(): number;
    later(x: number): number;
  };
  commands: { ping: string };
  events: { pong: string };
}

const channel = serveChannel<TestProtocol>({
  requests: {
    echo: (x) => ({ text: x.text.toUpperCase(), n: x.n + 1 }),
    fail: (message) => {
      throw new RangeError(message);
    },
    crash: (how) => {
      if (how.uncaught) setImmediate(() => {
        throw new Error(how.uncaught);
      });
      else if (how.signal) process.kill(process.pid, how.signal);
      else process.exit(how.code ?? 1);
      return new Promise<never>(() => undefined);
    },
    hang: () => new Promise<never>(() => undefined),
    pid: () => process.pid,
    later: (x) => new Promise<number>((resolve) => setImmediate(() => resolve(x * 2))),
  },
  commands: { ping: (text) => channel.emit('pong', `pong ${text}`) },
});
