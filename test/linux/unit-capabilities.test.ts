// The systemd unit's privileges, for real on this kernel: `serve --host linux` as an
// unprivileged uid holding only the unit's AmbientCapabilities (setpriv) cannot register
// vmpressure on the root memcg, and can once the unit's ExecStartPre has given its group
// write on cgroup.event_control — so CAP_DAC_OVERRIDE is not needed — while it still reads
// and reclaims another user's process. ExecStopPost takes the grant back; the file is
// restored whatever happens.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import { startServe } from '../helpers/serve';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { execCommand, parseUnit } from '../helpers/systemd-unit';

const EVENT_CONTROL = '/sys/fs/cgroup/memory/cgroup.event_control';
/** An unprivileged uid and gid that exist everywhere (nobody, nogroup). */
const NOBODY = 65534;

function unavailable(): string | null {
  const kernel = kernelTestsUnavailable();
  if (kernel) return kernel;
  if (!existsSync(EVENT_CONTROL)) return `no memcg v1 (${EVENT_CONTROL}): the unit's grant is for memcg v1 hosts`;
  if (spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status !== 0) return 'no setpriv (util-linux)';
  return null;
}
const why = unavailable();
const d = why ? describe.skip : describe;
if (why) skipNote('the unit’s capabilities on the real kernel', why);

/** The first stderr line of `served` matching `re`, waiting for it up to 15 s (then null). */
async function stderrLine(served: { stderr: string[] }, re: RegExp): Promise<string | null> {
  for (let i = 0; i < 150; i++) {
    const line = served.stderr.find((l) => re.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

/** The unit's capabilities this machine can grant (a container's bounding set may lack some). */
function unitCapabilities(): { grant: string[]; missing: string[] } {
  const caps = parseUnit().get('Service', 'AmbientCapabilities').flatMap((v) => v.split(/\s+/));
  const bounding = BigInt('0x' + /^CapBnd:\s+([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  const number = (cap: string) => {
    const r = spawnSync('capsh', [`--explain=${cap.toLowerCase()}`], { encoding: 'utf8' });
    const m = /\((\d+)\)/.exec(r.stdout);
    if (!m) throw new Error(`capsh does not know ${cap}`);
    return BigInt(m[1]);
  };
  const grant = caps.filter((c) => (bounding >> number(c)) & 1n);
  return { grant, missing: caps.filter((c) => !grant.includes(c)) };
}

/** The unit's ExecStartPre/ExecStopPost command, its group swapped for this test's. */
function runUnitCommand(key: 'ExecStartPre' | 'ExecStopPost'): void {
  const [value] = parseUnit().get('Service', key);
  const command = execCommand(value).replace('chgrp reclaimd', `chgrp ${NOBODY}`);
  const m = /^\/bin\/sh -c '(.*)'$/.exec(command);
  if (!m) throw new Error(`${key} is not a /bin/sh -c '…' command: ${command}`);
  const r = spawnSync('/bin/sh', ['-c', m[1]], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${key} failed: ${r.stderr}`);
}

d('the unit’s capabilities, without CAP_DAC_OVERRIDE', () => {
  const original = existsSync(EVENT_CONTROL) ? statSync(EVENT_CONTROL) : null;
  afterAll(() => {
    // Whatever happened, the file is as it was found.
    chownSync(EVENT_CONTROL, original!.uid, original!.gid);
    chmodSync(EVENT_CONTROL, original!.mode & 0o7777);
  });

  const { grant, missing } = unitCapabilities();
  if (missing.length) skipNote(`granting ${missing.join(', ')}`, 'not in this machine’s bounding set (the agent falls back as it would without it)');
  const asUnit = () => [
    'setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups',
    `--inh-caps=${grant.map((c) => '+' + c.slice(4).toLowerCase()).join(',')}`,
    `--ambient-caps=${grant.map((c) => '+' + c.slice(4).toLowerCase()).join(',')}`,
  ];

  test('no vmpressure on the root memcg without the unit’s grant', async () => {
    expect(grant).not.toContain('CAP_DAC_OVERRIDE');
    const served = await startServe(['--host', 'linux', '--no-db'], { wrap: asUnit() });
    try {
      // The reaction thread opens the sources once it runs, after serve prints its URL: the
      // refusal reaches the agent's limits then.
      let limits: string[] = [];
      for (let i = 0; i < 150 && !limits.some((l) => /vmpressure/.test(l)); i++) {
        limits = (await served.client.call('status', {})).limits;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(limits.join('\n')).toMatch(/cannot listen to vmpressure on \/sys\/fs\/cgroup\/memory: EACCES/);
    } finally {
      await served.dispose();
    }
  });

  test('with it: vmpressure heard, another user’s process read and reclaimed; the grant taken back after', async () => {
    runUnitCommand('ExecStartPre');
    expect(statSync(EVENT_CONTROL)).toMatchObject({ gid: NOBODY, mode: expect.any(Number) });
    expect(statSync(EVENT_CONTROL).mode & 0o777).toBe(0o220);
    // A root process with 32 MiB of file-backed and anon pages: another user's, to this agent.
    const other = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(32 << 20, 1); setInterval(() => b[0]++, 1000)'], { stdio: 'ignore' });
    let served: Awaited<ReturnType<typeof startServe>> | null = null;
    try {
      served = await startServe(['--host', 'linux', '--no-db'], { wrap: asUnit() });
      // The reaction thread opens the sources once it runs, after serve prints its URL.
      await expect(stderrLine(served, /vmpressure on \/sys\/fs\/cgroup\/memory/)).resolves.toBeTruthy();
      expect(served.stderr.join('\n')).not.toMatch(/pressure source unavailable/);
      // No "cannot read other users' maps" or "kill denied" limits: PTRACE and KILL suffice.
      // (The code lock needs the unit's LimitMEMLOCK, which this sandbox cannot grant: its hard
      // limit is 8 MiB and raising it needs CAP_SYS_RESOURCE, not in its bounding set.)
      const limits = (await served.client.call('status', {})).limits;
      expect(limits.filter((l) => /CAP_/.test(l) && !/RLIMIT_MEMLOCK/.test(l))).toEqual([]);
      await new Promise((r) => setTimeout(r, 500)); // let the child map its buffer
      const decision = await served.client.call('reclaim.manual', { pid: other.pid!, kind: 'file' });
      expect(decision).toMatchObject({ pid: other.pid, result: 'ok' });
    } finally {
      other.kill('SIGKILL');
      await served?.dispose();
      runUnitCommand('ExecStopPost');
    }
    expect(statSync(EVENT_CONTROL).uid).toBe(0);
    expect(statSync(EVENT_CONTROL).gid).toBe(0);
    expect(statSync(EVENT_CONTROL).mode & 0o777).toBe(0o200);
  });
});
