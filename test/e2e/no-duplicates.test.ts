// Never two processes for one instance, whenever the daemon dies: killed with SIGKILL while `up`
// brings 100 services up (state.json behind what runs), or after a full disk kept state.json
// from being written. The next `up` finds what runs from the system itself (leaf cgroups, or
// markers naming the home) and takes it back; `down` then leaves no process. Processes are
// counted per instance from /proc (WARDEN_SERVICE and WARDEN_INSTANCE in their environment).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf } from '../helpers/procs.js';

const MODES = ['cgroup', 'process-group'] as const;
const SERVICES = 100;

function config(count: number): string {
  let yaml = 'services:\n';
  for (let i = 1; i <= count; i++)
    yaml += `  s${String(i).padStart(3, '0')}:\n    command: [sleep, '600']\n    min_uptime: 100ms\n`;
  return yaml;
}

/** Live `sleep` processes of `home` per instance (`s001:0`), from their environment. */
function mainsPerInstance(home: string): Map<string, number[]> {
  const per = new Map<string, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let env: string;
    let stat: string;
    try {
      env = readFileSync(`/proc/${name}/environ`, 'latin1');
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    if (!env.includes(`\0WARDEN_HOME=${home}\0`) && !env.startsWith(`WARDEN_HOME=${home}\0`))
      continue;
    if (!stat.includes('(sleep)') || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'))
      continue;
    const vars = new Map(
      env.split('\0').map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    );
    const key = `${vars.get('WARDEN_SERVICE')}:${vars.get('WARDEN_INSTANCE')}`;
    per.set(key, [...(per.get(key) ?? []), Number(name)]);
  }
  return per;
}

function duplicates(per: Map<string, number[]>): string[] {
  return [...per]
    .filter(([, pids]) => pids.length > 1)
    .map(([k, pids]) => `${k}: ${pids.join(' ')}`);
}

function total(per: Map<string, number[]>): number {
  return [...per.values()].reduce((sum, pids) => sum + pids.length, 0);
}

async function killDaemon(s: Sandbox): Promise<void> {
  const pid = daemonPidOf(s.home);
  process.kill(pid, 'SIGKILL');
  await waitFor(`daemon ${pid} gone`, () => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true;
    } catch {
      return true;
    }
  });
}

/** `warden status --json` names this containment mode; false when it fell back to another. */
async function isMode(s: Sandbox, mode: string): Promise<boolean> {
  return (await s.status()).daemon.containment === mode;
}

void describe('no duplicates after a daemon death', () => {
  let s: Sandbox;
  afterEach(async () => {
    await s.cleanup();
  });

  for (const mode of MODES) {
    for (const killAt of [8, 40, 80]) {
      void it(`${mode}: SIGKILL of the daemon after ${killAt} of ${SERVICES} started, then up: one process per instance`, async (t) => {
        s = sandbox();
        s.env.WARDEN_CONTAINMENT = mode;
        s.config(config(SERVICES));
        mkdirSync(s.dir, { recursive: true });
        const up = spawn(WARDEN, ['up'], { cwd: s.dir, env: s.env, stdio: 'ignore' });
        const upEnded = new Promise((resolve) => up.on('exit', resolve));
        await waitFor(
          `${killAt} instances started`,
          () => total(mainsPerInstance(s.home)) >= killAt,
          30_000,
          5,
        );
        await killDaemon(s);
        await upEnded;
        const before = mainsPerInstance(s.home);
        assert.deepEqual(duplicates(before), [], 'no duplicate before the second up');

        const again = await s.warden(['up', '--wait'], { timeoutMs: 60_000 });
        assert.equal(again.code, 0, again.stderr);
        if (!(await isMode(s, mode))) return t.skip(`${mode} containment is not usable here`);
        const after = mainsPerInstance(s.home);
        assert.deepEqual(duplicates(after), [], 'one process per instance');
        assert.equal(after.size, SERVICES, 'every instance runs');
        for (const [key, pids] of before)
          assert.deepEqual(after.get(key), pids, `${key} was taken back, not started again`);
        const report = await s.status();
        assert.ok(report.instances.every((i) => i.state === 'running'));

        const down = await s.warden(['down'], { timeoutMs: 60_000 });
        assert.equal(down.code, 0, down.stderr);
        await waitFor('no process of the home left', () => processesOfHome(s.home).length === 0);
      });
    }
  }

  for (const mode of MODES) {
    void it(`${mode}: a full disk kept state.json behind a restart; after a daemon death, up takes the new process back`, async (t) => {
      s = sandbox();
      s.env.WARDEN_CONTAINMENT = mode;
      mkdirSync(s.home, { recursive: true, mode: 0o700 });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', s.home], {
          stdio: 'ignore',
        });
      } catch (error) {
        return t.skip(`cannot mount a tmpfs (needs root): ${String(error).split('\n')[0]}`);
      }
      const filler = join(s.home, 'filler');
      try {
        s.config(config(3));
        const up = await s.warden(['up', '--wait']);
        assert.equal(up.code, 0, up.stderr);
        if (!(await isMode(s, mode))) return t.skip(`${mode} containment is not usable here`);
        const first = mainsPerInstance(s.home);
        // Fill the disk: state.json can no longer be replaced.
        const fd = openSync(filler, 'w');
        try {
          const block = Buffer.alloc(64 * 1024, 0x61);
          for (;;) writeSync(fd, block);
        } catch {
          // ENOSPC: full
        } finally {
          closeSync(fd);
        }
        const restart = await s.warden(['restart', 's002']);
        assert.equal(restart.code, 0, restart.stderr);
        const moved = await waitFor('s002 running again with a new pid', async () => {
          const i = (await s.status()).instances.find((x) => x.name === 's002');
          return i?.state === 'running' && i.pid !== first.get('s002:0')?.[0] && i.pid;
        });
        // state.json still names the old process: the write of the new one failed (ENOSPC).
        const saved = readFileSync(join(s.home, 'state.json'), 'utf8');
        assert.ok(saved.includes(`"pid":${first.get('s002:0')?.[0]}`), 'state.json is stale');
        assert.ok(!saved.includes(`"pid":${moved}`), 'the new pid is not in state.json');
        await killDaemon(s);
        rmSync(filler);

        const again = await s.warden(['up', '--wait']);
        assert.equal(again.code, 0, again.stderr);
        const after = mainsPerInstance(s.home);
        assert.deepEqual(duplicates(after), [], 'one process per instance');
        assert.deepEqual(after.get('s002:0'), [moved], 's002 runs its newest process, taken back');
        const down = await s.warden(['down']);
        assert.equal(down.code, 0, down.stderr);
        await waitFor('no process of the home left', () => processesOfHome(s.home).length === 0);
      } finally {
        for (const pid of processesOfHome(s.home)) process.kill(pid, 'SIGKILL');
        rmSync(filler, { force: true });
        execFileSync('umount', ['-l', s.home]);
      }
    });
  }
});
