// The daemon as DESIGN.md section 3 describes it: detached and clean, single instance, a
// handshake that reports failure, SIGTERM stops everything.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import {
  processesOfHome,
  runProcess,
  sandbox,
  waitFor,
  WARDEN,
  type Sandbox,
} from '../helpers/cli.js';

const SLEEPER = `
services:
  sleeper:
    command: [sleep, "600"]
    min_uptime: 100ms
`;

function daemonPid(s: Sandbox): number {
  return Number(readFileSync(join(s.home, 'warden.pid'), 'utf8').trim());
}

/** Fields of /proc/PID/stat after the command name (field 3 is index 0). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

void describe('the daemon', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('x=$(warden up) returns: the daemon holds no pipe of its caller', async () => {
    s = sandbox();
    s.config(SLEEPER);
    // An extra inherited fd (9) must not reach the daemon either.
    const script = `exec 9>"$1/inherited"; x=$("$2" up); echo "got: $x"`;
    const r = await runProcess('/bin/sh', ['-c', script, 'sh', s.dir, WARDEN], {
      env: s.env,
      cwd: s.dir,
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 0, `command substitution must return (stderr: ${r.stderr})`);
    assert.match(r.stdout, /got: warden: daemon started/);
    const pid = daemonPid(s);
    const targets = readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    assert.ok(
      !targets.some((t) => t.endsWith('/inherited')),
      `inherited fd leaked: ${targets.join(' ')}`,
    );
  });

  void it('is a session leader without a terminal, in /, with stdio on /dev/null', async () => {
    s = sandbox();
    s.config(SLEEPER);
    assert.equal((await s.warden(['up'])).code, 0);
    const pid = daemonPid(s);
    const f = statFields(pid);
    assert.equal(f[3], String(pid), 'sid == pid');
    assert.equal(f[2], String(pid), 'pgrp == pid');
    assert.equal(f[4], '0', 'tty_nr 0: no controlling terminal');
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), '/');
    assert.equal(readlinkSync(`/proc/${pid}/fd/0`), '/dev/null');
    assert.equal(readlinkSync(`/proc/${pid}/fd/1`), '/dev/null');
    assert.equal(readlinkSync(`/proc/${pid}/fd/2`), join(s.home, 'warden.log'));
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /Umask:\s+0022/);
    assert.equal(statSync(join(s.home, 'warden.sock')).mode & 0o777, 0o600);
    assert.equal(statSync(s.home).mode & 0o777, 0o700);
    const service = await waitFor('sleeper pid', async () => (await s.status()).instances[0]?.pid);
    const fds = readdirSync(`/proc/${service}/fd`).sort();
    assert.deepEqual(fds, ['0', '1', '2'], 'a service inherits no fd of the daemon');
    const env = readFileSync(`/proc/${service}/environ`, 'utf8').split('\0');
    assert.ok(env.includes('WARDEN_SERVICE=sleeper') && env.includes('WARDEN_INSTANCE=0'));
  });

  void it('two concurrent ups give one daemon', async () => {
    s = sandbox();
    s.config(SLEEPER);
    const [a, b] = await Promise.all([s.warden(['up']), s.warden(['up'])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const daemons = processesOfHome(s.home).filter((p) =>
      readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('daemon/entry.js'),
    );
    assert.deepEqual(daemons, [daemonPid(s)]);
    const report = await s.status();
    assert.equal(report.instances.length, 1);
  });

  void it('a broken config exits 2 with file, line and column, and starts nothing', async () => {
    s = sandbox();
    const path = s.config('services:\n  web:\n    comand: node server.js\n');
    const r = await s.warden(['up']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `${path}:3:5: services.web.comand: "comand" is not a known key; did you mean "command"\\?`,
      ),
    );
    assert.deepEqual(processesOfHome(s.home), []);
    assert.equal((await s.warden(['status'])).code, 3);
  });

  void it('a start-up failure is reported through the handshake and leaves no process', async () => {
    s = sandbox();
    s.config(SLEEPER);
    mkdirSync(join(s.home, 'warden.sock'), { recursive: true });
    const r = await s.warden(['up']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /warden\.sock exists and is not a socket/);
    assert.deepEqual(processesOfHome(s.home), []);
  });

  void it('a daemon that cannot take its pid file reports EACCES through the handshake', async (t) => {
    s = sandbox();
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) {
      t.skip('needs root and setpriv to run warden as another user');
      return;
    }
    s.config(SLEEPER);
    // The other user's own home, holding a pid file only root may open for writing.
    mkdirSync(join(s.home, 'logs'), { recursive: true, mode: 0o700 });
    writeFileSync(join(s.home, 'warden.pid'), '');
    chmodSync(join(s.home, 'warden.pid'), 0o644);
    for (const dir of [s.home, join(s.home, 'logs')]) chownSync(dir, 65534, 65534);
    for (const dir of [dirname(s.home), s.dir]) chmodSync(dir, 0o755);
    const r = await runProcess(
      '/usr/bin/setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', WARDEN, 'up'],
      { env: s.env, cwd: s.dir },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot lock .*warden\.pid: EACCES/);
    assert.deepEqual(processesOfHome(s.home), []);
  });

  void it('SIGTERM stops every service, then the daemon exits', async () => {
    s = sandbox();
    s.config(SLEEPER);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const before = processesOfHome(s.home);
    assert.equal(before.length, 2, 'daemon and sleeper');
    process.kill(daemonPid(s), 'SIGTERM');
    await waitFor('no process of the home', () => processesOfHome(s.home).length === 0);
    assert.match(readFileSync(join(s.home, 'warden.log'), 'utf8'), /sleeper: stopping -> stopped/);
  });

  void it('nothing starts once a shutdown began, and nothing is left after it', async () => {
    s = sandbox();
    const stubborn = `
services:
  stubborn:
    command: trap "" TERM; while :; do sleep 0.1; done
    stop_timeout: 1s
    min_uptime: 100ms
`;
    s.config(stubborn);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    s.config(`${stubborn}  late:\n    command: [sleep, "600"]\n`);
    const daemon = daemonPid(s);
    process.kill(daemon, 'SIGTERM');
    await waitFor('the shutdown began', () =>
      readFileSync(join(s.home, 'warden.log'), 'utf8').includes('shutting down'),
    );
    process.kill(daemon, 'SIGHUP');
    const up = await s.warden(['start', 'stubborn']);
    assert.equal(up.code, 1);
    assert.match(up.stderr, /shutting down/);
    await waitFor('no process of the home', () => processesOfHome(s.home).length === 0);
    assert.doesNotMatch(
      readFileSync(join(s.home, 'warden.log'), 'utf8'),
      /late: stopped -> starting/,
    );
  });

  void it('unknown names and an over-long home are usage errors before anything starts', async () => {
    s = sandbox();
    s.config(SLEEPER);
    const r = await s.warden(['up', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown service "nope" in .*warden\.yaml \(known: sleeper\)/);
    const long = await runProcess(WARDEN, ['up'], {
      env: { ...s.env, WARDEN_HOME: join(s.dir, 'x'.repeat(120)) },
      cwd: s.dir,
    });
    assert.equal(long.code, 2);
    assert.match(long.stderr, /Unix socket paths are limited to 107/);
    assert.deepEqual(processesOfHome(s.home), []);
  });

  void it('SIGHUP and reload with a broken config change nothing', async () => {
    s = sandbox();
    s.config(SLEEPER);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const pid = (await s.status()).instances[0]?.pid;
    s.config('services:\n  sleeper:\n    command: [sleep, "600"]\n    restart: sometimes\n');
    const r = await s.warden(['reload']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /warden\.yaml:4:14: services\.sleeper\.restart/);
    process.kill(daemonPid(s), 'SIGHUP');
    await waitFor('reload failure in the daemon log', () =>
      readFileSync(join(s.home, 'warden.log'), 'utf8').includes(
        'SIGHUP reload failed, nothing changed',
      ),
    );
    const after = (await s.status()).instances[0];
    assert.equal(after?.pid, pid);
    assert.equal(after?.state, 'running');
  });
});
