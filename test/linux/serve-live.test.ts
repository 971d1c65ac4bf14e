// `reclaimd serve --host linux` on the real machine: as root the live agent with the API;
// without CAP_SYS_NICE it says so and runs observe-only.
import { spawn } from 'node:child_process';
import { capabilityLimits } from '../../host/linux/privileges';
import { startServe } from '../helpers/serve';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];

describe('reclaimd serve on the Linux host', () => {
  test('as root: the live agent, real processes, and a manual reclaim through the API', async () => {
    if (process.getuid?.() !== 0) {
      console.log('skipped: needs root (process_madvise on other processes)');
      return;
    }
    const d = await startServe(['--host', 'linux', '--no-db']);
    const target = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const status = await d.client.call('status', {});
      expect(status).toMatchObject({ host: 'linux', mode: 'active' });
      let row;
      for (let i = 0; i < 50 && !row; i++) {
        row = (await d.client.call('processes', {})).processes.find((p) => p.pid === target.pid);
        if (!row) await new Promise((r) => setTimeout(r, 200));
      }
      expect(row).toBeDefined();
      const decision = await d.client.call('reclaim.manual', { pid: target.pid!, kind: 'file' });
      expect(decision).toMatchObject({ pid: target.pid, host: 'linux', result: 'ok', policy: 'manual' });
      const metrics = await fetch(`${d.base}/metrics?token=${d.token}`).then((r) => r.text());
      expect(metrics).toContain('reclaimd_info{host="linux",policy="reclaim",mode="active"} 1');
    } finally {
      target.kill('SIGKILL');
      await d.dispose();
    }
  });

  test('without CAP_SYS_NICE it says what it cannot do and runs observe-only', async () => {
    const d = await startServe(['--host', 'linux', '--no-db'], { wrap: NOBODY });
    try {
      const status = await d.client.call('status', {});
      expect(status.mode).toBe('observe-only');
      expect(status.host).toBe('observe');
      expect(status.limits.join(' ')).toContain('no CAP_SYS_NICE');
      expect(d.stderr.join('\n')).toContain('observe-only: no CAP_SYS_NICE');
      // The observe-only host lists processes from systeminformation on its first sample.
      let own;
      for (let i = 0; i < 50 && !own; i++) {
        own = (await d.client.call('processes', {})).processes.find((p) => p.pid !== d.child.pid && !p.foreground);
        if (!own) await new Promise((r) => setTimeout(r, 200));
      }
      expect(own).toBeDefined();
      const decision = await d.client.call('reclaim.manual', { pid: own!.pid, kind: 'anon' });
      expect(decision.result).toBe('dry-run');
    } finally {
      await d.dispose();
    }
  });

  test('capability limits name what is missing', () => {
    expect(capabilityLimits(0n)).toEqual([expect.stringContaining('no CAP_KILL'), expect.stringContaining('no CAP_SYS_PTRACE')]);
    expect(capabilityLimits((1n << 41n) - 1n)).toEqual([]);
  });
});
