// daemonize() as a caller sees it: `x=$(prog)` returns, the daemon is clean (daemon(3), APUE),
// failures reach the caller, and a pid file makes a single instance.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { waitFor } from '../helpers/cli.js';
import {
  libFixture,
  libSandbox,
  openFds,
  pidIn,
  procStat,
  umaskOf,
  type LibSandbox,
} from '../helpers/lib.js';

const DAEMON = libFixture('daemon');

/** Runs the daemon fixture with `spec` as `x=$(node daemon.js SPEC)`, fd 9 open on a file. */
function start(s: LibSandbox, spec: object): ReturnType<LibSandbox['sh']> {
  const script = 'exec 9>"$PWD/inherited"; x=$("$1" "$2" "$3"); rc=$?; echo "rc=$rc x=[$x]"';
  return s.sh(script, [process.execPath, DAEMON, JSON.stringify(spec)]);
}

void describe('daemonize()', () => {
  let s: LibSandbox;
  afterEach(() => s.cleanup());

  void it('x=$(prog) returns 0 and leaves a clean daemon: own session, no tty, /, /dev/null, umask', async () => {
    s = libSandbox();
    const r = await start(s, { pidFile: 'app.pid', umask: 0o027 });
    assert.equal(r.stdout.trim(), 'rc=0 x=[]', r.stderr);
    const pid = pidIn(join(s.dir, 'app.pid'));
    const stat = procStat(pid);
    assert.equal(stat.session, pid, 'sid == pid');
    assert.equal(stat.pgrp, pid, 'pgrp == pid');
    assert.equal(stat.ttyNr, 0, 'no controlling terminal');
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), '/');
    assert.equal(umaskOf(pid), 0o027);
    const fds = openFds(pid);
    assert.deepEqual(
      fds.slice(0, 3).map((f) => [f.fd, f.target]),
      [
        [0, '/dev/null'],
        [1, '/dev/null'],
        [2, '/dev/null'],
      ],
    );
    // Node's own fds are close-on-exec; anything else was inherited (fd 9, the handshake pipe).
    const foreign = fds.filter((f) => f.fd > 2 && (!f.isCloseOnExec || /socket:/.test(f.target)));
    assert.deepEqual(foreign, [], JSON.stringify(fds));
    assert.ok(!fds.some((f) => f.target.endsWith('/inherited')), 'fd 9 was closed');
    assert.deepEqual(s.processes(), [pid], 'the caller is gone, the daemon alone remains');
  });

  void it('nochdir keeps the directory; the umask defaults to 022', async () => {
    s = libSandbox();
    const r = await start(s, { pidFile: 'app.pid', nochdir: true });
    assert.equal(r.stdout.trim(), 'rc=0 x=[]', r.stderr);
    const pid = pidIn(join(s.dir, 'app.pid'));
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), realpathSync(s.dir));
    assert.equal(umaskOf(pid), 0o022);
  });

  void it('noclose keeps the caller fds 0-2', async () => {
    s = libSandbox();
    const spec = JSON.stringify({ pidFile: 'app.pid', noclose: true, hello: 'hi from the daemon' });
    const script = '"$1" "$2" "$3" <"$PWD/in" >"$PWD/out" 2>"$PWD/err"; echo "rc=$?"';
    const r = await s.sh(`: >"$PWD/in"; ${script}`, [process.execPath, DAEMON, spec]);
    assert.equal(r.stdout.trim(), 'rc=0', r.stderr);
    const pid = pidIn(join(s.dir, 'app.pid'));
    const targets = openFds(pid)
      .slice(0, 3)
      .map((f) => f.target);
    const dir = realpathSync(s.dir);
    assert.deepEqual(targets, [join(dir, 'in'), join(dir, 'out'), join(dir, 'err')]);
    await waitFor('the daemon to write on the kept stdout', () =>
      readFileSync(join(s.dir, 'out'), 'utf8').includes('hi from the daemon'),
    );
  });

  void it('stdout and stderr files replace /dev/null', async () => {
    s = libSandbox();
    const spec = { pidFile: 'app.pid', stdout: 'out.log', stderr: 'err.log', hello: 'logged' };
    const r = await start(s, spec);
    assert.equal(r.stdout.trim(), 'rc=0 x=[]', r.stderr);
    const pid = pidIn(join(s.dir, 'app.pid'));
    const dir = realpathSync(s.dir);
    const targets = openFds(pid).map((f) => f.target);
    assert.deepEqual(targets.slice(0, 3), [
      '/dev/null',
      join(dir, 'out.log'),
      join(dir, 'err.log'),
    ]);
    await waitFor('the line in out.log', () =>
      readFileSync(join(s.dir, 'out.log'), 'utf8').includes('logged'),
    );
  });

  void it('a daemon that fails after the spawn makes the caller exit 1 with its message, leaving nothing', async () => {
    s = libSandbox();
    const r = await start(s, { pidFile: 'app.pid', failWith: 'cannot listen on :80: EACCES' });
    assert.equal(r.stdout.trim(), 'rc=1 x=[]');
    assert.match(r.stderr, /daemon\.js: cannot listen on :80: EACCES/);
    assert.deepEqual(s.processes(), []);
  });

  void it('an uncaught exception before ready() reaches the caller', async () => {
    s = libSandbox();
    const r = await start(s, { crashWith: 'config file is broken' });
    assert.equal(r.stdout.trim(), 'rc=1 x=[]');
    assert.match(r.stderr, /Error: config file is broken/);
    assert.deepEqual(s.processes(), []);
  });

  void it('a second instance with the same pid file is refused, naming the holder', async () => {
    s = libSandbox();
    assert.equal((await start(s, { pidFile: 'app.pid' })).stdout.trim(), 'rc=0 x=[]');
    const holder = pidIn(join(s.dir, 'app.pid'));
    const r = await start(s, { pidFile: 'app.pid' });
    assert.equal(r.stdout.trim(), 'rc=1 x=[]');
    assert.match(r.stderr, /ALREADY_RUNNING/);
    assert.match(r.stderr, new RegExp(`locked by pid ${holder}`));
    assert.deepEqual(s.processes(), [holder]);
    assert.equal(pidIn(join(s.dir, 'app.pid')), holder, 'the pid file still names the holder');
  });

  void it('wait: false returns before ready(); wait: true gives up after timeoutMs', async () => {
    s = libSandbox();
    const r = await start(s, { pidFile: 'a.pid', wait: false, neverReady: true });
    assert.equal(r.stdout.trim(), 'rc=0 x=[]', r.stderr);
    const pid = pidIn(join(s.dir, 'a.pid'));
    assert.deepEqual(s.processes(), [pid]);
    const late = await start(s, { pidFile: 'b.pid', neverReady: true, timeoutMs: 300 });
    assert.equal(late.stdout.trim(), 'rc=1 x=[]');
    assert.match(late.stderr, /not ready within 300ms/);
    assert.deepEqual(s.processes(), [pid]);
  });

  void it('drops to another user: groups, gid, then uid', async (t) => {
    s = libSandbox();
    if (process.getuid?.() !== 0 || !existsSync('/etc/passwd')) return t.skip('needs root');
    const r = await start(s, { pidFile: 'app.pid', user: 'nobody' });
    assert.equal(r.stdout.trim(), 'rc=0 x=[]', r.stderr);
    const status = readFileSync(`/proc/${pidIn(join(s.dir, 'app.pid'))}/status`, 'utf8');
    assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    assert.match(status, /^Gid:\s+65534\s+65534\s+65534\s+65534$/m);
    assert.match(status, /^Groups:\s+65534\s*$/m);
  });
});
