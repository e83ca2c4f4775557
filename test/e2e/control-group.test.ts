// `control: {group: NAME}` (docs/config/control.md): members of the group may use root's
// control socket, as Docker's group works; everyone else is refused with PERMISSION_DENIED and
// the refusal is logged with their uid and pid. Needs root: a group and two users, made with
// groupadd/useradd and removed after.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { runProcess, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

const SETPRIV = '/usr/bin/setpriv';

interface Account {
  name: string;
  uid: number;
  gid: number;
}

function idOf(name: string, flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
}

function makeUser(name: string, groups: string[]): Account {
  const extra = groups.length === 0 ? [] : ['--groups', groups.join(',')];
  execFileSync('useradd', [
    '--system',
    '--no-create-home',
    '--shell',
    '/bin/false',
    ...extra,
    name,
  ]);
  return { name, uid: idOf(name, '-u'), gid: idOf(name, '-g') };
}

const CONFIG = (group: string | undefined): string =>
  (group === undefined ? '' : `control:\n  group: ${group}\n`) +
  `services:\n  web:\n    command: 'sleep 1000'\n    min_uptime: 100ms\n`;

const modeOf = (path: string): number => statSync(path).mode & 0o7777;

void describe('control.group', () => {
  const isRoot = process.getuid?.() === 0 && existsSync(SETPRIV);
  const group = `wt16c${process.pid}`;
  let gid = -1;
  let member: Account | undefined;
  let stranger: Account | undefined;
  let s: Sandbox | undefined;
  before(() => {
    if (!isRoot) return;
    execFileSync('groupadd', ['--system', group]);
    gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
    member = makeUser(`${group}m`, [group]);
    stranger = makeUser(`${group}s`, []);
  });
  after(() => {
    for (const user of [member, stranger])
      if (user !== undefined) execFileSync('userdel', [user.name]);
    if (isRoot) execFileSync('groupdel', [group]);
  });
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });

  function setup(t: TestContext): Sandbox | undefined {
    if (!isRoot || member === undefined || stranger === undefined) {
      t.skip('needs root, groupadd, useradd and setpriv');
      return undefined;
    }
    s = sandbox();
    // The others must traverse the home's parent to reach the socket at all.
    chmodSync(dirname(s.home), 0o755);
    return s;
  }

  // `warden --home HOME ARGS` run as `who`, with the groups the group database gives them.
  function wardenAs(box: Sandbox, who: Account, args: string[]) {
    const env = { PATH: process.env.PATH, NO_COLOR: '1', HOME: '/' };
    return runProcess(
      SETPRIV,
      [
        `--reuid=${who.uid}`,
        `--regid=${who.gid}`,
        '--init-groups',
        WARDEN,
        '--home',
        box.home,
        ...args,
      ],
      { env, cwd: '/', timeoutMs: 30_000 },
    );
  }

  void it('serves a member (a supplementary group) and refuses anyone else', async (t) => {
    const box = setup(t);
    if (box === undefined || member === undefined || stranger === undefined) return;
    box.config(CONFIG(group));
    const up = await box.warden(['up']);
    assert.equal(up.code, 0, up.stderr);

    // The home opens to the group only as far as the socket: nothing else becomes readable.
    const socket = join(box.home, 'warden.sock');
    assert.equal(modeOf(box.home), 0o710);
    assert.equal(statSync(box.home).gid, gid);
    assert.equal(modeOf(socket), 0o660);
    assert.equal(statSync(socket).gid, gid);
    assert.equal(modeOf(join(box.home, 'state.json')) & 0o077, 0);
    assert.equal(modeOf(join(box.home, 'warden.key')), 0o600);
    assert.equal(modeOf(join(box.home, 'warden.log')), 0o600);
    assert.equal(modeOf(join(box.home, 'logs')), 0o700);

    const ok = await wardenAs(box, member, ['status']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /web/);

    // A member may use the socket, not learn the proof key only root and the daemon's user may.
    const ask =
      `const c=require('net').connect(${JSON.stringify(socket)},()=>c.write('{"id":1,"method":"prove"}\\n'));` +
      `c.on('data',(d)=>{process.stdout.write(d);c.end()})`;
    const prove = await runProcess(
      SETPRIV,
      [
        `--reuid=${member.uid}`,
        `--regid=${member.gid}`,
        '--init-groups',
        process.execPath,
        '-e',
        ask,
      ],
      { cwd: '/', timeoutMs: 30_000 },
    );
    assert.match(prove.stdout, /"code":"PERMISSION_DENIED"/);
    assert.doesNotMatch(prove.stdout, /"proof"/);

    // A stranger cannot even search the home: connect(2) says EACCES.
    const closed = await wardenAs(box, stranger, ['status']);
    assert.equal(closed.code, 1, closed.stderr);
    assert.match(closed.stderr, /PERMISSION_DENIED/);
    assert.doesNotMatch(closed.stdout, /web/);
  });

  void it('refuses a stranger who reaches the socket, and logs their uid and pid', async (t) => {
    const box = setup(t);
    if (box === undefined || stranger === undefined) return;
    box.config(CONFIG(group));
    const up = await box.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    // Opened by hand (an ACL, a chmod): the daemon's own check still refuses them.
    chmodSync(box.home, 0o711);
    chmodSync(join(box.home, 'warden.sock'), 0o666);
    const r = await wardenAs(box, stranger, ['status']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /PERMISSION_DENIED/);
    assert.match(r.stderr, new RegExp(`uid ${stranger.uid}\\b`));
    const log = join(box.home, 'warden.log');
    await waitFor('the refusal in the daemon log', () =>
      new RegExp(`refused a peer: .*pid \\d+ .*uid ${stranger?.uid}\\b`).test(
        readFileSync(log, 'utf8'),
      ),
    );
  });

  void it('closes the home again when control.group is removed by reload', async (t) => {
    const box = setup(t);
    if (box === undefined || member === undefined) return;
    box.config(CONFIG(group));
    const up = await box.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await wardenAs(box, member, ['status'])).code, 0);

    box.config(CONFIG(undefined));
    const reload = await box.warden(['reload']);
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal(modeOf(box.home), 0o700);
    assert.equal(modeOf(join(box.home, 'warden.sock')), 0o600);
    const refused = await wardenAs(box, member, ['status']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /PERMISSION_DENIED/);

    // And set again by reload: the member is served again.
    box.config(CONFIG(group));
    assert.equal((await box.warden(['reload'])).code, 0);
    assert.equal(modeOf(box.home), 0o710);
    assert.equal((await wardenAs(box, member, ['status'])).code, 0);
  });

  void it('refuses an unknown group at its key, with file and line', async (t) => {
    const box = setup(t);
    if (box === undefined) return;
    const path = box.config(CONFIG(`${group}nope`));
    const r = await box.warden(['up']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`${path}:2:\\d+: control\\.group: no group "${group}nope" in the group database`),
    );
  });
});
