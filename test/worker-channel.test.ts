// The one worker channel, over its three transports, with real threads and real processes:
// replies, errors carried across, a worker dying mid-request, and a close that leaves nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Channel, WorkerError, WorkerGoneError } from '../host/worker-channel';
import { compiledScript } from '../host/worker-script';
import type { TestProtocol } from './helpers/channel-worker';

const script = compiledScript(`${__dirname}/helpers`, 'channel-worker.js');
const threads = () => readdirSync('/proc/self/task').length;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const transports: [string, (name: string) => Channel<TestProtocol>][] = [
  ['a worker thread', (name) => Channel.thread<TestProtocol>(name, script)],
  ['a forked process', (name) => Channel.fork<TestProtocol>(name, [process.execPath, script])],
];

describe.each(transports)('over %s', (_, open) => {
  let channel: Channel<TestProtocol>;
  beforeEach(() => (channel = open('test worker')));
  afterEach(() => channel.close());

  it('answers each request with its own typed reply, by id', async () => {
    const [a, b, c] = await Promise.all([channel.request('later', 5), channel.request('echo', { text: 'ab', n: 1 }), channel.request('later', 7)]);
    expect([a, b, c]).toEqual([10, { text: 'AB', n: 2 }, 14]);
  });

  it('carries a thrown error across: its message, its kind, and where it came from', async () => {
    const err = await channel.request('fail', 'the disk said no').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerError);
    expect(err).toMatchObject({ message: 'the disk said no', name: 'RangeError', worker: 'test worker', op: 'fail' });
    expect((err as Error).stack).toContain('channel-worker.js');
    expect((err as Error).stack).toContain('at test worker (request fail)');
    // The worker survives its handler's error.
    await expect(channel.request('echo', { text: 'x', n: 0 })).resolves.toEqual({ text: 'X', n: 1 });
  });

  it('names a request the worker does not know', async () => {
    await expect(channel.request('nope' as 'pid', undefined as never)).rejects.toThrow('no such request: nope');
  });

  it('carries commands in and events out', async () => {
    const pong = new Promise<string>((resolve) => channel.on('pong', resolve));
    channel.send('ping', 'hello');
    await expect(pong).resolves.toBe('pong hello');
  });

  it('rejects every pending request when the worker exits mid-request, naming the worker and its exit code', async () => {
    const hanging = channel.request('hang', undefined as never);
    const crash = channel.request('crash', { code: 3 });
    await expect(crash).rejects.toThrow(new WorkerGoneError('test worker', 'exited with code 3', 'crash'));
    await expect(hanging).rejects.toThrow('test worker exited with code 3 before answering hang');
    await expect(channel.exited).resolves.toBe('exited with code 3');
    // And a request after that is refused at once, saying why.
    await expect(channel.request('pid', undefined as never)).rejects.toThrow('test worker exited with code 3 before answering pid');
  });

  it('says what an uncaught error in the worker was', async () => {
    await expect(channel.request('crash', { uncaught: 'boom in the worker' })).rejects.toThrow(/^test worker .*boom in the worker/s);
  });

  it('rejects what is pending at close, and answers close only once the worker is gone', async () => {
    const hanging = channel.request('hang', undefined as never);
    await channel.request('echo', { text: '', n: 0 }); // it is running
    await channel.close();
    await expect(hanging).rejects.toThrow('test worker was closed before answering hang');
    expect(channel.ended).toBe(true);
  });
});

describe('what a close leaves behind', () => {
  it('a worker thread: no thread', async () => {
    const warm = Channel.thread<TestProtocol>('warm-up', script); // the runtime's own threads start with the first worker
    await warm.request('pid', undefined as never);
    await warm.close();
    const before = threads();
    const channel = Channel.thread<TestProtocol>('test worker', script);
    await channel.request('pid', undefined as never);
    expect(threads()).toBeGreaterThan(before);
    await channel.close();
    expect(threads()).toBe(before);
  });

  it('a forked process: no process (killed and reaped)', async () => {
    const channel = Channel.fork<TestProtocol>('test worker', [process.execPath, script]);
    const pid = await channel.request('pid', undefined as never);
    expect(alive(pid)).toBe(true);
    await channel.close();
    expect(alive(pid)).toBe(false);
  });

  it('a worker killed by a signal is named with the signal', async () => {
    const channel = Channel.fork<TestProtocol>('test worker', [process.execPath, script]);
    await expect(channel.request('crash', { signal: 'SIGKILL' })).rejects.toThrow('test worker was killed by SIGKILL before answering crash');
  });
});

describe('what keeps the owner alive', () => {
  // A Node process that opens a channel to the test worker, then does `then` with it.
  const owner = (keepAlive: boolean, then: string) => {
    const channelModule = compiledScript(join(__dirname, '..', 'host'), 'worker-channel.js');
    const code = `const { Channel } = require(${JSON.stringify(channelModule)}); const ch = Channel.thread('w', ${JSON.stringify(script)}, {}, ${keepAlive}); ${then}`;
    return spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000 });
  };
  // An unref()'d timer runs only if something else keeps the process alive.
  const later = "setTimeout(() => { console.log('still here'); void ch.close(); }, 300).unref();";

  it('an idle worker does not (a forgotten one must not keep a run alive)', () => {
    expect(owner(false, later)).toMatchObject({ status: 0, stdout: '' });
  });

  it('a pending request does, until it is answered', () => {
    expect(owner(false, "ch.request('later', 2).then((v) => { console.log('answer', v); return ch.close(); });")).toMatchObject({ status: 0, stdout: 'answer 4\n' });
  });

  it('a worker opened to keep it alive does, until closed', () => {
    expect(owner(true, later)).toMatchObject({ status: 0, stdout: 'still here\n' });
  });
});

interface LineProtocol {
  requests: { pid(): number };
  commands: { say: string; quit: undefined };
  events: { ready: undefined; said: string };
}

describe('over a program speaking lines on stdio', () => {
  const program = ['/bin/sh', '-c', 'echo ready; while read cmd arg; do [ "$cmd" = quit ] && exit 0; echo "said $arg"; done'];

  it('turns lines into events and commands into lines', async () => {
    const channel = Channel.lines<LineProtocol>('line worker', program);
    const said = new Promise<string>((resolve) => channel.on('said', resolve));
    await new Promise<void>((resolve) => channel.on('ready', () => resolve()));
    channel.send('say', 'two words');
    await expect(said).resolves.toBe('two words');
    channel.send('quit');
    await expect(channel.exited).resolves.toBe('exited with code 0');
  });

  it('refuses a request (lines carry no ids), saying so', async () => {
    const channel = Channel.lines<LineProtocol>('line worker', program);
    await expect(channel.request('pid', undefined as never)).rejects.toThrow('request over a line worker: lines carry no ids, so it takes commands only');
    await channel.close();
  });

  it('reports how the program ended with its last words on stderr', async () => {
    const channel = Channel.lines<LineProtocol>('line worker', ['/bin/sh', '-c', 'echo "usage: nothing right" >&2; exit 4']);
    await expect(channel.exited).resolves.toBe('exited with code 4: usage: nothing right');
  });

  it('says when the program cannot start', async () => {
    const channel = Channel.lines<LineProtocol>('line worker', ['/nonexistent/program']);
    await expect(channel.exited).resolves.toMatch(/^could not start \(.*ENOENT/);
  });

  it('a close kills and reaps it', async () => {
    const channel = Channel.lines<LineProtocol>('line worker', program);
    await new Promise<void>((resolve) => channel.on('ready', () => resolve()));
    expect(alive(channel.pid)).toBe(true);
    await channel.close();
    expect(alive(channel.pid)).toBe(false);
    await expect(channel.exited).resolves.toBe('was killed by SIGKILL');
  });
});
