// Under a delegated cgroup (systemd's Delegate=yes) where warden runs alone, it moves itself
// into a leaf of its own, so that controllers can be enabled for its instances (cgroup v2 "no
// internal processes"); with another process beside it, it stays where it is. At exit it
// leaves the cgroup as it found it. The test makes the "delegated" cgroup itself, as root.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { cgroup2Mount, ownCgroup } from '../../src/effects/containment/cgroup/cgroup.js';
import { homeIdOf } from '../../src/effects/containment/containment.js';
import { sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

const mount = cgroup2Mount();
const own = ownCgroup();
const why =
  process.getuid?.() !== 0
    ? 'makes cgroups: runs only as root'
    : mount === undefined || own === undefined
      ? 'no cgroup v2 here'
      : false;

// The cgroup v2 path of `pid` (relative to the mount).
function cgroupOf(pid: number): string {
  return ownCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8')) ?? '';
}

function procsOf(dir: string): number[] {
  return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
}

void describe('warden alone in a delegated cgroup', { skip: why }, () => {
  let s: Sandbox;
  let delegated = '';
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await s.cleanup();
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await waitFor('the delegated cgroup empty', () => procsOf(delegated).length === 0);
    for (const sub of readdirSync(delegated, { withFileTypes: true }))
      if (sub.isDirectory()) rmdirSync(join(delegated, sub.name));
    rmdirSync(delegated);
  });

  // `warden run` started inside `delegated` (sh joins it, then execs warden).
  async function runInside(): Promise<{ run: ChildProcess; pid: number; stderr: () => string }> {
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'cgroup';
    s.config('services:\n  svc:\n    command: [sleep, "600"]\n    min_uptime: 100ms\n');
    const script = `echo $$ > ${join(delegated, 'cgroup.procs')} && exec ${WARDEN} run`;
    const run = spawn('sh', ['-c', script], {
      env: s.env,
      cwd: s.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    children.push(run);
    let err = '';
    run.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const report = await waitFor(`svc running (${err})`, async () => {
      const r = await s.warden(['status', '--json']);
      if (r.code !== 0) return undefined;
      const st = JSON.parse(r.stdout) as {
        daemon: { containment: string };
        instances: { state: string; pid: number }[];
      };
      return st.instances[0]?.state === 'running' && st;
    });
    assert.equal(report.daemon.containment, 'cgroup', err);
    return { run, pid: report.instances[0]?.pid ?? 0, stderr: () => err };
  }

  void it('moves itself into a leaf of its own; its instances are in their leaves beside it', async () => {
    delegated = join(mount ?? '', own ?? '', `warden-delegated-${process.pid}-a`);
    mkdirSync(delegated);
    const { run, pid, stderr } = await runInside();
    const id = homeIdOf(s.home);
    const top = join(own ?? '', `warden-delegated-${process.pid}-a`);
    assert.equal(cgroupOf(run.pid ?? 0), join(top, `warden-${id}-daemon`), stderr());
    assert.equal(cgroupOf(pid), join(top, `warden-${id}`, 'svc'));
    assert.deepEqual(procsOf(delegated), [], 'no process left in the delegated cgroup itself');
    assert.match(stderr(), /moved itself into .*warden-[0-9a-f]{12}-daemon/);
    run.kill('SIGTERM');
    assert.equal(await new Promise((r) => run.once('exit', r)), 0, stderr());
    const left = readdirSync(delegated, { withFileTypes: true }).filter((e) => e.isDirectory());
    assert.deepEqual(
      left.map((e) => e.name),
      [],
      'its cgroups are removed at exit',
    );
  });

  void it('stays where it is when another process shares its cgroup', async () => {
    delegated = join(mount ?? '', own ?? '', `warden-delegated-${process.pid}-b`);
    mkdirSync(delegated);
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.push(other);
    writeFileSync(join(delegated, 'cgroup.procs'), String(other.pid));
    const { run, stderr } = await runInside();
    const top = join(own ?? '', `warden-delegated-${process.pid}-b`);
    assert.equal(cgroupOf(run.pid ?? 0), top, stderr());
    assert.ok(!existsSync(join(delegated, `warden-${homeIdOf(s.home)}-daemon`)));
    run.kill('SIGTERM');
    assert.equal(await new Promise((r) => run.once('exit', r)), 0, stderr());
  });
});
