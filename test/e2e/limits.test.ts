// Config `limits`: rlimits in every mode (/proc/PID/limits), the memory limit polled in
// process-group mode, cgroup limits refused where cgroups are not in use, and, where cgroup v2
// has the controllers (root), memory.max with its OOM kill, pids.max and cpu.max.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { cgroupOf, v2ControllersMissing } from '../helpers/procs.js';

const NODE = JSON.stringify(process.execPath);
// Grows by 8 MiB (touched) every 50 ms up to 160 MiB, then stays.
const GROW =
  'const c=[];setInterval(()=>{if(c.length<20)c.push(Buffer.alloc(8<<20,1))},50);setInterval(()=>{},1e9)';

/** The soft and hard `Max open files` of `pid` (/proc/PID/limits). */
function openFilesLimit(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  assert.ok(line !== undefined);
  return line.split(/\s+/).slice(3, 5);
}

async function runningPid(s: Sandbox): Promise<number> {
  return waitFor('a running instance', async () => {
    const i = (await s.status()).instances[0];
    return i?.state === 'running' && i.pid !== null ? i.pid : undefined;
  });
}

void describe('limits', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  for (const mode of ['cgroup', 'process-group'] as const) {
    void it(`sets rlimits before the exec (${mode})`, async (t) => {
      if (mode === 'cgroup' && process.getuid?.() !== 0) return t.skip('cgroup mode needs root');
      s = sandbox();
      s.env.WARDEN_CONTAINMENT = mode;
      s.config(`
services:
  both:
    command: [sleep, "600"]
    min_uptime: 100ms
    limits: { nofile: 256 }
  split:
    command: [sleep, "600"]
    min_uptime: 100ms
    limits: { nofile: "128:512", core: unlimited }
`);
      const up = await s.warden(['up', '--wait']);
      assert.equal(up.code, 0, up.stderr);
      const pids = new Map((await s.status()).instances.map((i) => [i.name, i.pid ?? 0]));
      assert.deepEqual(openFilesLimit(pids.get('both') ?? 0), ['256', '256']);
      assert.deepEqual(openFilesLimit(pids.get('split') ?? 0), ['128', '512']);
      const core = readFileSync(`/proc/${pids.get('split') ?? 0}/limits`, 'utf8');
      assert.match(core, /Max core file size\s+unlimited\s+unlimited/);
    });
  }

  // Polled where no controller enforces it: process-group mode, and cgroup mode where the memory
  // controller is not offered (a machine whose cgroup v1 hierarchy holds it, as PM2's users have).
  for (const mode of ['process-group', 'cgroup'] as const)
    void it(`${mode} mode without a memory controller: memory is polled, a growing service restarted`, async (t) => {
      if (mode === 'cgroup') {
        if (process.getuid?.() !== 0) return t.skip('cgroup mode needs root');
        if (v2ControllersMissing(['memory']) === undefined)
          return t.skip('the memory controller is available here: memory.max enforces it');
      }
      s = sandbox();
      s.env.WARDEN_CONTAINMENT = mode;
      s.config(`
services:
  grow:
    command: [${NODE}, -e, ${JSON.stringify(GROW)}]
    min_uptime: 100ms
    backoff: { initial: 500ms }
    limits: { memory: 64MB }
`);
      const up = await s.warden(['up']);
      assert.equal(up.code, 0, up.stderr);
      const i = await waitFor('a restart', async () => {
        const grow = (await s.status()).instances[0];
        return grow !== undefined && grow.restarts >= 1 ? grow : undefined;
      });
      assert.equal(
        i.lastExit !== null && 'signal' in i.lastExit ? i.lastExit.signal : '',
        'SIGTERM',
      );
      const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
      assert.match(log, /grow: .*memory limit \(polled\): [\d.]+MB over 64MB/);
      assert.match(log, /grow: .*memory limit \(polled\), SIGTERM; restart in 500ms/);
      if (mode === 'cgroup')
        assert.match(log, /Z limits: memory is polled, memory_high cannot be applied: /);
    });

  void it('process-group mode: a cgroup limit is a config error that says why', async () => {
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'process-group';
    s.config(`
services:
  spin:
    command: [sleep, "600"]
    limits: { cpu: 50% }
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2, up.stdout);
    assert.match(up.stderr, /services\.spin\.limits\.cpu: .*cgroups are not in use/);
    assert.match(up.stderr, /WARDEN_CONTAINMENT=process-group/);
    // Nothing started: the daemon that `up` started for this config is gone again.
    assert.equal((await s.warden(['status'])).code, 3);
  });

  void it('cgroup mode: memory.max, an OOM kill said as such, restarted with backoff', async (t) => {
    const missing = v2ControllersMissing(['memory']);
    if (missing !== undefined) return t.skip(missing);
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'cgroup';
    s.config(`
services:
  grow:
    command: [${NODE}, -e, ${JSON.stringify(GROW)}]
    min_uptime: 100ms
    backoff: { initial: 1s }
    limits: { memory: 64MB }
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    const i = await waitFor('an OOM kill', async () => {
      const grow = (await s.status()).instances[0];
      return grow?.lastExit !== null && grow?.lastExit !== undefined ? grow : undefined;
    });
    assert.deepEqual(i.lastExit, {
      signal: 'SIGKILL',
      coreDumped: false,
      oom: true,
      limit: 64 * 1024 * 1024,
    });
    const table = await s.warden(['status']);
    assert.match(table.stdout, /OOM killed \(memory 64MB\)/);
    await waitFor('a restart after backoff', async () => {
      const grow = (await s.status()).instances[0];
      return grow !== undefined && grow.restarts >= 1;
    });
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(log, /grow: .*OOM killed \(memory 64MB\); restart in 1000ms/);
  });

  void it('cgroup mode: pids.max bounds a fork loop, and stop ends it all', async (t) => {
    const missing = v2ControllersMissing(['pids']);
    if (missing !== undefined) return t.skip(missing);
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'cgroup';
    s.config(`
services:
  forks:
    command: 'i=0; while [ $i -lt 500 ]; do sleep 600 & i=$((i+1)); done; wait'
    min_uptime: 100ms
    limits: { pids: 50 }
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const pid = await runningPid(s);
    const leaf = cgroupOf(pid);
    assert.ok(leaf !== undefined);
    assert.equal(readFileSync(join(leaf, 'pids.max'), 'utf8').trim(), '50');
    // The loop ends (each fork past 50 fails); the count never went past 50.
    await waitFor('50 processes', () => Number(readFileSync(join(leaf, 'pids.current'))) >= 50);
    assert.ok(Number(readFileSync(join(leaf, 'pids.peak'), 'utf8')) <= 50);
    const stop = await s.warden(['stop', 'forks']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(readFileSync(join(leaf, 'cgroup.procs'), 'utf8'), '');
  });

  void it('cgroup mode: cpu.max holds a busy loop to about its share', async (t) => {
    const missing = v2ControllersMissing(['cpu']);
    if (missing !== undefined) return t.skip(missing);
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'cgroup';
    s.config(`
services:
  spin:
    command: [${NODE}, -e, "for(;;){}"]
    min_uptime: 100ms
    limits: { cpu: 20% }
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const leaf = cgroupOf(await runningPid(s));
    assert.ok(leaf !== undefined);
    assert.equal(readFileSync(join(leaf, 'cpu.max'), 'utf8').trim(), '20000 100000');
    const usage = () => {
      const m = /usage_usec (\d+)/.exec(readFileSync(join(leaf, 'cpu.stat'), 'utf8'));
      return { usec: Number(m?.[1]), at: process.hrtime.bigint() };
    };
    const a = usage();
    await waitFor('3 s of cpu.stat', () => process.hrtime.bigint() - a.at > 3_000_000_000n);
    const b = usage();
    const share = (b.usec - a.usec) / (Number(b.at - a.at) / 1000);
    assert.ok(share > 0.12 && share < 0.26, `share of a core ${share.toFixed(3)}`);
  });

  void it('cgroup mode: a limit whose controller cannot be enabled is a config error', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('cgroup mode needs root');
    if (v2ControllersMissing(['memory']) === undefined)
      return t.skip('the memory controller is available here');
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'cgroup';
    s.config(`
services:
  grow:
    command: [sleep, "600"]
    limits: { memory_high: 64MB }
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2, up.stdout);
    assert.match(up.stderr, /services\.grow\.limits\.memory_high: .*memory controller/);
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(
      log,
      /Z limits: memory is polled, memory_high cannot be applied: .*memory controller/,
    );
  });
});
