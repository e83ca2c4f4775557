// `warden run` and its controlling terminal: the terminal closing (SIGHUP) stops everything, so
// the home is free again; without a terminal (containers, systemd) SIGHUP still reloads.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf } from '../helpers/procs.js';
import { terminal, type Terminal, shellQuote } from '../helpers/tmux.js';

const CONFIG = `
services:
  sleeper:
    command: [sleep, "600"]
    min_uptime: 100ms
`;

void describe('warden run and its terminal', () => {
  let s: Sandbox;
  let tty: Terminal | undefined;
  afterEach(async () => {
    await tty?.kill();
    tty = undefined;
    await s.cleanup();
  });

  void it('stops every service and frees the home when its terminal closes', async () => {
    s = sandbox();
    s.config(CONFIG);
    tty = await terminal();
    // stdin and stdout on the terminal; stderr (the daemon's log) kept in a file to read after.
    const errLog = join(s.dir, 'run.err');
    await tty.open('run', `exec ${shellQuote(WARDEN)} run 2>${shellQuote(errLog)}`, s.dir, s.env);
    const logOf = (): string => (existsSync(errLog) ? readFileSync(errLog, 'utf8') : '');
    await waitFor('sleeper running under warden run', async () => {
      const r = await s.warden(['status', '--json']);
      return r.code === 0 && r.stdout.includes('"state":"running"');
    });
    const runPid = daemonPidOf(s.home);
    assert.ok(processesOfHome(s.home).length >= 2, 'warden run and sleep run');

    await tty.close('run'); // the terminal hangs up: the kernel sends SIGHUP
    await waitFor(
      'warden run and its services gone',
      () => processesOfHome(s.home).length === 0,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; warden run's stderr:\n${logOf()}`);
    });

    const log = logOf();
    assert.match(log, /shutting down: SIGHUP \(the controlling terminal closed\)/);
    assert.match(log, /every service stopped/);
    // Node restores the terminal's modes at exit: on a hung-up one that must not abort.
    assert.doesNotMatch(log, /Assertion failed|uncaught/);

    // The home is free: a new daemon takes it.
    const up = await s.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.notEqual(daemonPidOf(s.home), runPid);
  });

  void it('reloads on SIGHUP without a controlling terminal', async () => {
    s = sandbox();
    s.config(CONFIG);
    // A new session: no controlling terminal, as under systemd or in a container.
    const run = spawn(WARDEN, ['run'], {
      env: s.env,
      cwd: s.dir,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor('sleeper running', async () => {
        const r = await s.warden(['status', '--json']);
        return r.code === 0 && r.stdout.includes('"state":"running"');
      });
      s.config(CONFIG.replace('sleeper:', 'added:\n    command: [sleep, "601"]\n  sleeper:'));
      run.kill('SIGHUP');
      await waitFor('the new service started by the reload', async () => {
        const st = await s.status();
        return st.instances.some((i) => i.name === 'added' && i.state !== 'stopped');
      });
      assert.equal(run.exitCode, null, `warden run still runs; stderr:\n${stderr}`);
      assert.doesNotMatch(stderr, /shutting down/);
    } finally {
      run.kill('SIGTERM');
      if (run.exitCode === null) await new Promise((r) => run.once('exit', r));
    }
    assert.equal(run.exitCode, 0, stderr);
  });
});
