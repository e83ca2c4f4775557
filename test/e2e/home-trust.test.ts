// A home that another user controls is refused, as root (docs/security.md): a home that is
// their link or their directory, one they may write in, links they planted in it, a socket
// they planted, and a state.json they wrote naming an unrelated root process. A real second
// user, made with useradd and removed after.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { writeState, type DaemonState } from '../../src/daemon/state-file.js';
import { processesOfHome, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf, isAlive, statOf } from '../helpers/procs.js';

const SETPRIV = '/usr/bin/setpriv';

/** The second user: made once for the file, removed after it. */
interface Other {
  name: string;
  uid: number;
  gid: number;
}

function makeUser(): Other {
  const name = `wt13h${process.pid}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/bin/false', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { name, uid, gid };
}

/** A service that prints a secret line every 50 ms. */
const TALKER = `services:\n  web:\n    command: 'while :; do echo secret; sleep 0.05; done'\n    min_uptime: 100ms\n`;

void describe('a home controlled by someone else', () => {
  const isRoot = process.getuid?.() === 0 && existsSync(SETPRIV);
  let other: Other | undefined;
  let s: Sandbox | undefined;
  const children: ChildProcess[] = [];
  before(() => {
    if (isRoot) other = makeUser();
  });
  after(() => {
    if (other !== undefined) execFileSync('userdel', [other.name]);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await s?.cleanup();
    s = undefined;
  });

  // A sandbox whose home's parent the other user may traverse; undefined when not root.
  function setup(t: TestContext): { s: Sandbox; other: Other } | undefined {
    if (!isRoot || other === undefined) {
      t.skip('needs root, useradd and setpriv for a second user');
      return undefined;
    }
    s = sandbox();
    chmodSync(dirname(s.home), 0o755);
    return { s, other };
  }

  void it('refuses a home that is a symbolic link to their directory', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    const theirs = join(dirname(ctx.s.home), 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, ctx.other.uid, ctx.other.gid);
    symlinkSync(theirs, ctx.s.home);
    lchownSync(ctx.s.home, ctx.other.uid, ctx.other.gid);
    ctx.s.config(TALKER);
    const r = await ctx.s.warden(['up']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /home is a symbolic link \(to .*theirs, made by uid \d+ \(wt13h/);
    assert.deepEqual(readdirSync(theirs), [], 'nothing made in their directory');
    assert.deepEqual(processesOfHome(ctx.s.home), []);
  });

  void it('refuses a home owned by another uid, saying how to fix it', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    mkdirSync(ctx.s.home, { mode: 0o700 });
    chownSync(ctx.s.home, ctx.other.uid, ctx.other.gid);
    ctx.s.config(TALKER);
    const r = await ctx.s.warden(['up']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /home belongs to uid \d+ \(wt13h\d+\), not to uid 0 \(root\)/);
    assert.match(r.stderr, /chown -R root /);
    assert.deepEqual(readdirSync(ctx.s.home), []);
    // Every verb refuses it, not only `up`.
    const status = await ctx.s.warden(['status']);
    assert.equal(status.code, 2, status.stderr);
  });

  void it('refuses a home others may write in, where they planted a log to read', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    mkdirSync(join(ctx.s.home, 'logs'), { recursive: true });
    chmodSync(ctx.s.home, 0o777);
    chmodSync(join(ctx.s.home, 'logs'), 0o777);
    const planted = join(ctx.s.home, 'logs', 'web.log');
    writeFileSync(planted, '');
    chmodSync(planted, 0o666);
    chownSync(planted, ctx.other.uid, ctx.other.gid);
    ctx.s.config(TALKER);
    const r = await ctx.s.warden(['up', '--wait']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /home is writable by its group or others \(mode 0777\)/);
    assert.match(r.stderr, /chmod 700 /);
    assert.equal(readFileSync(planted, 'utf8'), '', 'no line reached their file');
    assert.deepEqual(processesOfHome(ctx.s.home), []);
  });

  void it('refuses a home under a parent others may write in (not root-owned sticky)', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    const parent = join(dirname(ctx.s.home), 'shared');
    mkdirSync(parent, { mode: 0o777 });
    chmodSync(parent, 0o777);
    const home = join(parent, 'home');
    mkdirSync(home, { mode: 0o700 });
    ctx.s.env.WARDEN_HOME = home;
    ctx.s.config(TALKER);
    const r = await ctx.s.warden(['up']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /shared, a parent of .*home, is writable by its group or others/);
    assert.deepEqual(readdirSync(home), []);
    // A sticky one of root's, like /tmp, is fine.
    chmodSync(parent, 0o1777);
    const up = await ctx.s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
  });

  void it('does not follow links planted in the home to root-owned files', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    const { s: box, other: them } = ctx;
    // A home once open to them, closed since (chmod 700, as the refusal says), with their links.
    const logs = join(box.home, 'logs');
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    chmodSync(box.home, 0o700);
    const victims = ['passwd-like', 'shadow-like', 'group-like'].map((n) =>
      join(dirname(box.home), n),
    );
    for (const v of victims) writeFileSync(v, 'precious\n', { mode: 0o600 });
    const plant = (link: string, target: string): void => {
      symlinkSync(target, link);
      lchownSync(link, them.uid, them.gid);
    };
    plant(join(box.home, 'warden.log'), victims[0] ?? '');
    plant(join(logs, 'web.log'), victims[1] ?? '');
    box.config(TALKER);

    const refused = await box.warden(['up']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /warden\.log is a symbolic link, which warden never follows/);
    assert.equal(readFileSync(victims[0] ?? '', 'utf8'), 'precious\n');

    // A pid file the daemon would have truncated.
    execFileSync('rm', [join(box.home, 'warden.log')]);
    plant(join(box.home, 'warden.pid'), victims[2] ?? '');
    const pid = await box.warden(['up']);
    assert.equal(pid.code, 2, pid.stderr);
    assert.match(pid.stderr, /warden\.pid is a symbolic link, which warden never follows/);
    assert.equal(readFileSync(victims[2] ?? '', 'utf8'), 'precious\n');

    // Without those links the daemon runs, and the service's log is not followed.
    execFileSync('rm', [join(box.home, 'warden.pid')]);
    const up = await box.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const log = join(box.home, 'warden.log');
    await waitFor('the refused log reported', () =>
      /cannot .*web\.log: ELOOP/.test(readFileSync(log, 'utf8')),
    );
    assert.equal((await box.status()).instances[0]?.state, 'running');
    assert.equal(readFileSync(victims[1] ?? '', 'utf8'), 'precious\n', 'the root file unchanged');
  });

  // A socket bound by their process in the home while it was open to them; `chownRoot` makes
  // the file root's, so that only the peer's credentials can tell.
  // With `withKey`, they also write a `warden.key` of their own and answer `prove` with it.
  async function plantSocket(
    box: Sandbox,
    them: Other,
    chownRoot: boolean,
    withKey = false,
  ): Promise<void> {
    chmodSync(box.home, 0o777);
    const socket = join(box.home, 'warden.sock');
    const key = join(box.home, 'warden.key');
    const prove = withKey
      ? `const k=require('crypto').randomBytes(32);require('fs').writeFileSync(${JSON.stringify(key)},k,{mode:0o600});` +
        `const pr=()=>k.toString('hex');`
      : `const pr=null;`;
    const fake =
      prove +
      `const s=require('net').createServer(c=>{let b='';c.on('data',d=>{b+=d;let i;` +
      `while((i=b.indexOf('\\n'))>=0){const m=JSON.parse(b.slice(0,i));b=b.slice(i+1);` +
      `if(m.method==='prove'&&pr){c.write(JSON.stringify({id:m.id,result:{proof:pr()}})+'\\n');continue}` +
      `c.write(JSON.stringify({id:m.id,error:{code:'FAKE',message:'fake daemon answer'}})+'\\n')}})});` +
      `s.listen(${JSON.stringify(socket)})`;
    const child = spawn(
      SETPRIV,
      [
        `--reuid=${them.uid}`,
        `--regid=${them.gid}`,
        '--clear-groups',
        process.execPath,
        '-e',
        fake,
      ],
      { stdio: 'ignore' },
    );
    children.push(child);
    await waitFor('their socket', () => existsSync(socket));
    if (withKey) await waitFor('their key', () => existsSync(key));
    if (chownRoot) chownSync(socket, 0, 0);
    chmodSync(box.home, 0o700);
  }

  void it('the CLI does not trust a socket another uid planted', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    mkdirSync(join(ctx.s.home, 'logs'), { recursive: true, mode: 0o700 });
    await plantSocket(ctx.s, ctx.other, false);
    const r = await ctx.s.warden(['status']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /warden\.sock belongs to uid \d+ \(wt13h\d+\), not to uid 0/);
    assert.doesNotMatch(r.stderr + r.stdout, /fake daemon answer/);
  });

  void it("the CLI checks the daemon's credentials (SO_PEERCRED), not only the file", async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    mkdirSync(join(ctx.s.home, 'logs'), { recursive: true, mode: 0o700 });
    await plantSocket(ctx.s, ctx.other, true);
    const r = await ctx.s.warden(['status']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /listening on .*warden\.sock \(pid \d+\) runs as uid \d+ \(wt13h/);
    assert.doesNotMatch(r.stderr + r.stdout, /fake daemon answer/);
  });

  void it('a key of theirs proves nothing: the CLI reads the credentials and refuses', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    mkdirSync(join(ctx.s.home, 'logs'), { recursive: true, mode: 0o700 });
    await plantSocket(ctx.s, ctx.other, true, true);
    const r = await ctx.s.warden(['status']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /listening on .*warden\.sock \(pid \d+\) runs as uid \d+ \(wt13h/);
    assert.doesNotMatch(r.stderr + r.stdout, /fake daemon answer/);
  });

  void it('a state.json they wrote naming a root process: not adopted, not killed', async (t) => {
    const ctx = setup(t);
    if (ctx === undefined) return;
    const { s: box, other: them } = ctx;
    // A state.json of the real shape, from a daemon of this home (process-group mode, where a
    // pid and its start time were all adoption asked), its process gone.
    box.env.WARDEN_CONTAINMENT = 'process-group';
    box.config('services:\n  web:\n    command: [sleep, "600"]\n    min_uptime: 100ms\n');
    assert.equal((await box.warden(['up', '--wait'])).code, 0);
    const daemon = daemonPidOf(box.home);
    process.kill(daemon, 'SIGKILL');
    await waitFor('the daemon gone', () => !isAlive(daemon));
    for (const pid of processesOfHome(box.home)) process.kill(pid, 'SIGKILL');
    await waitFor('its service gone', () => processesOfHome(box.home).length === 0);

    // An unrelated root process, leader of its own group as a daemon would be.
    const env = { PATH: process.env.PATH };
    const victim = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore', env });
    children.push(victim);
    const pid = victim.pid ?? 0;
    const startTime = Number(statOf(pid)?.[19]);
    const path = join(box.home, 'state.json');
    const { checksum: _, ...state } = JSON.parse(readFileSync(path, 'utf8')) as DaemonState & {
      checksum: string;
    };
    for (const svc of state.services)
      for (const i of svc.instances) {
        if (i.process === null) continue;
        i.process.pid = pid;
        i.process.startTime = startTime;
        if ('pid' in i.current) i.current.pid = pid;
      }
    await writeState(path, state);
    // The home is theirs now: they wrote that file.
    execFileSync('chown', ['-R', `${them.uid}:${them.gid}`, box.home]);

    const up = await box.warden(['up']);
    assert.equal(up.code, 2, up.stderr);
    assert.match(up.stderr, /belongs to uid \d+ \(wt13h/);
    const down = await box.warden(['down']);
    assert.equal(down.code, 2, down.stderr);
    assert.ok(isAlive(pid), `the unrelated root process ${pid} is alive`);
    assert.deepEqual(processesOfHome(box.home), [], 'no daemon took the home');
  });
});
