// `warden run` as PID 1 of a PID namespace (a container's init): it reaps every orphan, reloads
// on SIGHUP, and on SIGTERM stops everything and exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';
import { wardenCgroupOf, zombieChildren } from '../helpers/procs.js';

const CONFIG = `
services:
  orphans:
    command: while :; do ( (sleep 0.05; echo orphan >> orphans.txt) & ); sleep 0.1; done
  sleeper:
    command: [sleep, "600"]
`;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

void describe('PID 1 mode', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('reaps orphans, reloads on SIGHUP, stops everything on SIGTERM and exits 0', async (t) => {
    s = sandbox();
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/unshare')) {
      return t.skip('needs root and unshare(1) to make a PID namespace');
    }
    s.config(CONFIG);
    const ns = spawn(
      '/usr/bin/unshare',
      ['--pid', '--fork', '--mount-proc', '--kill-child', WARDEN, 'run'],
      {
        env: s.env,
        cwd: s.dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        // No controlling terminal, as a container's init: there SIGHUP reloads (docs/cli/run.md).
        detached: true,
      },
    );
    let stderr = '';
    ns.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const init = await waitFor('warden as the namespace init', () => childrenOf(ns.pid ?? 0)[0]);
      const st = await waitFor('status from inside', async () => {
        const r = await s.warden(['status', '--json']);
        return r.code === 0 && r;
      });
      assert.match(st.stdout, /"daemon":\{"pid":1,/, 'warden is PID 1 in its namespace');
      // The loop leaves an orphan every 100 ms, which ends after writing a line; PID 1 must reap
      // each one, or zombies pile up under it.
      const made = join(s.dir, 'orphans.txt');
      await waitFor(
        'ten orphans ended',
        () => existsSync(made) && readFileSync(made, 'utf8').split('\n').length > 10,
      );
      await waitFor('no zombie under PID 1', () => zombieChildren(init).length === 0, 5000);
      s.config(`${CONFIG}  late:\n    command: [sleep, "601"]\n`);
      process.kill(init, 'SIGHUP');
      await waitFor('the added service runs', async () => {
        const r = await s.status();
        return r.instances.some((i) => i.name === 'late' && i.state !== 'stopped');
      });
      process.kill(init, 'SIGTERM');
      const code = await new Promise((r) => ns.once('exit', r));
      assert.equal(code, 0, stderr);
      assert.deepEqual(processesOfHome(s.home), []);
      const cgroup = wardenCgroupOf(s.home);
      if (cgroup !== undefined) assert.equal(existsSync(cgroup), false, `${cgroup} was removed`);
    } finally {
      if (ns.exitCode === null) ns.kill('SIGKILL');
    }
  });

  // Without --mount-proc the namespace sees the host's /proc: every pid there is another
  // process's, and a PID 1 that took them for its orphans would signal strangers at shutdown.
  void it('refuses to start where /proc is not of its PID namespace', async (t) => {
    s = sandbox();
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/unshare')) {
      return t.skip('needs root and unshare(1) to make a PID namespace');
    }
    s.config(CONFIG);
    const ns = spawn('/usr/bin/unshare', ['--pid', '--fork', '--kill-child', WARDEN, 'run'], {
      env: s.env,
      cwd: s.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    ns.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const code = await new Promise((r) => ns.once('exit', r));
      assert.equal(code, 1, stderr);
      assert.match(
        stderr,
        /\/proc belongs to another PID namespace: it shows this process as pid \d+, but here it is pid 1/,
      );
      assert.equal(existsSync(join(s.dir, 'orphans.txt')), false, 'no service was started');
      assert.deepEqual(processesOfHome(s.home), []);
    } finally {
      if (ns.exitCode === null) ns.kill('SIGKILL');
    }
  });
});
