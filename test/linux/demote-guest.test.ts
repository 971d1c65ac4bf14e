// Pages really move to a slower node: test/manual/demote-numa-guest.sh boots Debian's kernel
// in QEMU with a CPU-less, slower NUMA node (HMAT) and runs reclaimd's tier discovery and
// demote on a real process there (about 40 s under TCG on this lab machine, no KVM). Runs
// where qemu-system-x86_64 is installed; the kernel and busybox come from Debian's apt.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';

const qemu = spawnSync('sh', ['-c', 'command -v qemu-system-x86_64'], { encoding: 'utf8' }).stdout.trim();
const unavailable = kernelTestsUnavailable() ?? (qemu ? null : 'qemu-system-x86_64 not installed (apt-get install --no-install-recommends qemu-system-x86)');
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('QEMU NUMA-guest demote test', unavailable);

/** The script's own guest timeout is 600 s; jest waits a little longer so the script reports first. */
const GUEST_TEST_TIMEOUT_MS = 660_000;

d('demote in a guest with a slower NUMA node (real kernel, QEMU)', () => {
  it('discovers node1 as the slower tier and moves a process\'s pages there', () => {
    const r = spawnSync(join(__dirname, '..', 'manual', 'demote-numa-guest.sh'), [], { encoding: 'utf8', timeout: GUEST_TEST_TIMEOUT_MS });
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/memory_tier\d+: nodes 1/);
    expect(out).toMatch(/"tier":"node1"/);
    expect(out).toContain('DEMOTE-TEST PASS');
    expect(r.status).toBe(0);
  }, GUEST_TEST_TIMEOUT_MS + 10_000);
});
