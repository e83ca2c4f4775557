// The figures of an instance (CPU seconds and %, memory, peak memory, processes, pressure) in
// both containments, checked against this test's own reads of /proc for the same tree: a busy
// child, an allocating child and the shell that started them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { InstanceStatus } from '../../src/core/status.js';
import type { PsInstance } from '../../src/ipc/protocol.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { statOf } from '../helpers/procs.js';

/** CLK_TCK: /proc/PID/stat counts CPU time in these (proc(5)). */
const TICKS = 100;
const PAGE = 4096;

const ALLOC_MB = 64;
const ALLOCATE = `globalThis.b = Buffer.alloc(${ALLOC_MB} << 20, 1); require("fs").writeFileSync("alloc.ready", ""); setInterval(() => {}, 1e6)`;

/** The live tree under `root` as /proc shows it now: pids, CPU seconds (utime+stime+cutime+cstime), RSS bytes. */
function treeOf(root: number): { pids: number[]; cpuSeconds: number; rssBytes: number } {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statOf(Number(name));
    if (f !== undefined && f[0] !== 'Z') parent.set(Number(name), Number(f[1]));
  }
  const pids = [...parent.keys()].filter((pid) => {
    for (let p: number | undefined = pid, n = 0; p !== undefined && n < 64; n++) {
      if (p === root) return true;
      p = parent.get(p);
    }
    return false;
  });
  let ticks = 0;
  let pages = 0;
  for (const pid of pids) {
    const f = statOf(pid) ?? [];
    ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i] ?? 0), 0);
    pages += Number(f[21] ?? 0);
  }
  return { pids, cpuSeconds: ticks / TICKS, rssBytes: pages * PAGE };
}

type Tree = NonNullable<InstanceStatus['tree']>;

async function treeStatus(s: Sandbox): Promise<{ pid: number; tree: Tree }> {
  const i = (await s.status()).instances[0];
  assert.ok(i?.pid !== null && i?.pid !== undefined && i.tree !== null, JSON.stringify(i));
  return { pid: i.pid, tree: i.tree };
}

async function checkFigures(s: Sandbox, mode: 'cgroup' | 'process-group'): Promise<void> {
  s.config(`
services:
  mix:
    command: |
      sh -c 'echo $$$$ > busy.pid; while :; do :; done' &
      ${JSON.stringify(process.execPath)} -e '${ALLOCATE}' &
      wait
    min_uptime: 100ms
`);
  const up = await s.warden(['up', '--wait']);
  assert.equal(up.code, 0, up.stderr);
  if ((await s.status()).daemon.containment !== mode) return;
  await waitFor('both children started', () => {
    const ready = existsSync(join(s.dir, 'alloc.ready')) && existsSync(join(s.dir, 'busy.pid'));
    return ready && readFileSync(join(s.dir, 'busy.pid'), 'utf8').trim() !== '';
  });
  const busy = Number(readFileSync(join(s.dir, 'busy.pid'), 'utf8').trim());

  // A busy loop shows; once stopped, its CPU % falls to nothing.
  await waitFor(
    'a CPU % for the busy child',
    async () => ((await treeStatus(s)).tree.cpuPercent ?? 0) > 2,
    30_000,
  );
  process.kill(busy, 'SIGSTOP');
  await waitFor(
    'CPU % near 0 once it is stopped',
    async () => ((await treeStatus(s)).tree.cpuPercent ?? 100) < 1,
    30_000,
  );

  // With the busy child stopped the figures hold still: they must equal the sums over the tree.
  const { pid, tree } = await waitFor(
    'figures equal to the sums over the tree',
    async () => {
      const seen = await treeStatus(s);
      const own = treeOf(seen.pid);
      const t = seen.tree;
      const closeCpu = Math.abs(t.cpuSeconds - own.cpuSeconds) <= 0.05;
      const closeMem = Math.abs(t.memoryBytes - own.rssBytes) <= Math.max(0.05 * own.rssBytes, 4e6);
      return closeCpu && closeMem && t.pids === own.pids.length && own.pids.length === 3 && seen;
    },
    30_000,
  );
  assert.ok(tree.cpuSeconds > 0.1, `the busy child's CPU counts: ${tree.cpuSeconds}`);
  assert.ok(tree.memoryBytes > ALLOC_MB << 20, `the allocation counts: ${tree.memoryBytes}`);
  assert.ok(tree.peakMemoryBytes >= tree.memoryBytes, JSON.stringify(tree));
  const psi = existsSync('/proc/pressure/cpu');
  if (mode === 'cgroup' && psi) {
    assert.ok(tree.pressure !== null, 'PSI of the leaf');
    for (const v of [tree.pressure.cpuPercent, tree.pressure.memoryPercent])
      assert.ok(v >= 0 && v <= 100, JSON.stringify(tree.pressure));
  }
  if (mode === 'process-group') assert.equal(tree.pressure, null, 'no PSI without a cgroup');

  // The table: CPU and MEM columns.
  const table = await s.warden(['status']);
  const [header, row] = table.stdout.split('\n');
  assert.match(header ?? '', /RESTARTS\s+PIDS\s+CPU\s+MEM\s+LAST EXIT/);
  assert.match(
    row ?? '',
    /^mix\s+running\s+\d+\s+\S+\s+0\s+3\s+\d+(\.\d)?%\s+\d+(\.\d)?[KMG]\s+-$/,
  );

  // ps carries the same figures, and CPU seconds for each process.
  const ps = await s.warden(['ps', '--json']);
  const [mix] = JSON.parse(ps.stdout) as PsInstance[];
  assert.equal(mix?.pid, pid);
  assert.ok(mix?.tree !== null && mix?.tree !== undefined, ps.stdout);
  assert.ok(Math.abs(mix.tree.cpuSeconds - tree.cpuSeconds) <= 0.05, ps.stdout);
  const own = treeOf(pid);
  const cpuOfProcesses = mix.processes.reduce((sum, p) => sum + p.cpuSeconds, 0);
  assert.ok(Math.abs(cpuOfProcesses - own.cpuSeconds) <= 0.05, ps.stdout);
}

void describe('figures of an instance', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('in cgroup containment: CPU from cpu.stat, memory and processes of the leaf', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root for cgroups');
    s = sandbox();
    await checkFigures(s, 'cgroup');
    if ((await s.status()).daemon.containment !== 'cgroup') t.skip('cgroups not usable here');
  });

  void it('in process-group containment: sums over the tree from /proc', async () => {
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'process-group';
    await checkFigures(s, 'process-group');
  });
});
