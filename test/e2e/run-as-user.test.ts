// Services as other users (docs/config/user.md), as root: `user`, `group`, `groups`, `umask`,
// `no_new_privileges` and `capabilities` seen in /proc/PID/status and in what the process does,
// in both containment modes; bad input refused with its place. A real second user, made with
// useradd and removed after.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort, skipWithout } from '../helpers/readiness.js';

interface Account {
  name: string;
  uid: number;
  gid: number;
  /** A group the user is a member of (supplementary), and one it is not. */
  member: { name: string; gid: number };
  extra: { name: string; gid: number };
}

const isRoot = process.getuid?.() === 0;
const NO_REDIS = skipWithout('redis-server', 'apt-get install redis-server');
const NO_SYSTEMD_NOTIFY = skipWithout('systemd-notify', 'apt-get install systemd');
const canSpawnAs = existsSync(new URL('../../native/warden-spawner', import.meta.url));

function gidOf(group: string): number {
  return Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
}

function makeAccount(): Account {
  const name = `wt16u${process.pid}`;
  execFileSync('groupadd', ['--system', `${name}m`]);
  execFileSync('groupadd', ['--system', `${name}x`]);
  execFileSync('useradd', [
    '--system',
    '--no-create-home',
    '--home-dir',
    `/nonexistent/${name}`,
    '--shell',
    '/bin/false',
    '--groups',
    `${name}m`,
    name,
  ]);
  const id = (flag: string): number =>
    Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid: id('-u'),
    gid: id('-g'),
    member: { name: `${name}m`, gid: gidOf(`${name}m`) },
    extra: { name: `${name}x`, gid: gidOf(`${name}x`) },
  };
}

// A privileged loopback port nothing listens on (bound and released by this root process).
async function freePrivilegedPort(): Promise<number> {
  for (let port = 700; port < 1024; port++) {
    const ok = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free privileged port on 127.0.0.1');
}

// The value of `name` in the environment of process `pid`.
function environOf(pid: number, name: string): string | undefined {
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

// Runs systemd-notify as the user (uid and primary gid, no supplementary groups).
async function notifyAs(
  a: Account,
  socket: string,
  args: string[],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('systemd-notify', args, {
    uid: a.uid,
    gid: a.gid,
    env: { PATH: process.env.PATH, NOTIFY_SOCKET: socket },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

// The `Key:` line of /proc/PID/status, its fields.
function statusLine(pid: number, key: string): string[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return (line ?? '')
    .slice(key.length + 1)
    .trim()
    .split(/\s+/);
}

for (const mode of ['cgroup', 'process-group'] as const) {
  void describe(`services as another user (${mode})`, () => {
    let account: Account | undefined;
    let s: Sandbox | undefined;
    before(() => {
      if (isRoot && canSpawnAs) account = makeAccount();
    });
    after(() => {
      if (account === undefined) return;
      execFileSync('userdel', [account.name]);
      execFileSync('groupdel', [account.member.name]);
      execFileSync('groupdel', [account.extra.name]);
    });
    afterEach(async () => {
      await s?.cleanup();
      s = undefined;
    });

    // A sandbox the user may enter, with a directory `out` it owns.
    function setup(t: TestContext): { s: Sandbox; a: Account; out: string } | undefined {
      if (account === undefined) {
        t.skip(isRoot ? 'warden-spawner was not built' : 'needs root');
        return undefined;
      }
      s = sandbox();
      if (mode === 'process-group') s.env.WARDEN_CONTAINMENT = 'process-group';
      chmodSync(dirname(s.home), 0o755);
      const out = join(s.dir, 'out');
      mkdirSync(out, { recursive: true });
      chownSync(out, account.uid, account.gid);
      return { s, a: account, out };
    }

    void it('runs as the user with its groups, HOME, USER and the umask', async (t) => {
      const got = setup(t);
      if (got === undefined) return;
      const { s, a, out } = got;
      s.config(
        [
          'services:',
          '  who:',
          `    command: 'touch ${out}/made; exec sleep 600'`,
          `    user: ${a.name}`,
          `    groups: [${a.extra.name}]`,
          '    umask: "027"',
          '    no_new_privileges: true',
          '',
        ].join('\n'),
      );
      const up = await s.warden(['up', '--wait']);
      assert.equal(up.code, 0, up.stderr);
      const pid = await waitFor('who running', async () => {
        const i = (await s.status()).instances[0];
        return i?.state === 'running' && i.pid !== null && i.pid;
      });
      assert.deepEqual(statusLine(pid, 'Uid'), Array(4).fill(String(a.uid)));
      assert.deepEqual(statusLine(pid, 'Gid'), Array(4).fill(String(a.gid)));
      const groups = statusLine(pid, 'Groups').map(Number).sort();
      assert.deepEqual(groups, [a.gid, a.member.gid, a.extra.gid].sort(), 'initgroups + groups');
      assert.deepEqual(statusLine(pid, 'NoNewPrivs'), ['1']);
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      assert.ok(env.includes(`USER=${a.name}`), env.join(' '));
      assert.ok(env.includes(`LOGNAME=${a.name}`));
      assert.ok(env.includes(`HOME=/nonexistent/${a.name}`));
      assert.ok(env.includes('SHELL=/bin/false'));
      const made = statSync(join(out, 'made'));
      assert.equal(made.uid, a.uid);
      assert.equal(made.mode & 0o777, 0o640, 'umask 027');
    });

    void it(
      'sd_notify as the user: redis-server --supervised systemd reaches running through a socket only it can reach',
      { skip: NO_REDIS },
      async (t) => {
        const got = setup(t);
        if (got === undefined) return;
        const { s, a, out } = got;
        const port = await freePort();
        s.config(
          [
            'services:',
            '  db:',
            // redis rewrites its environ (its process title): the shell notes NOTIFY_SOCKET first.
            `    command: 'echo "$NOTIFY_SOCKET" > ${out}/socket; exec redis-server --port ${port} --bind 127.0.0.1 --save "" --appendonly no --dir ${out} --supervised systemd'`,
            `    user: ${a.name}`,
            '    ready: { notify: true, timeout: 20s }',
            '',
          ].join('\n'),
        );
        const up = await s.warden(['up', '--wait']);
        assert.equal(up.code, 0, up.stderr);
        const db = (await s.status()).instances[0];
        assert.equal(db?.state, 'running');
        assert.equal(db.readySource, 'notify');
        assert.deepEqual(statusLine(db.pid ?? 0, 'Uid').slice(0, 1), [String(a.uid)]);
        const socket = readFileSync(join(out, 'socket'), 'utf8').trim();
        assert.ok(socket !== '' && !socket.startsWith(s.home), `${socket} is outside the home`);
        const st = statSync(socket);
        assert.ok(st.isSocket());
        assert.equal(st.uid, a.uid, 'the socket belongs to the user');
        assert.equal(st.mode & 0o777, 0o600, 'and to no one else');
        const dir = statSync(dirname(socket));
        assert.equal(dir.uid, 0);
        assert.equal(dir.mode & 0o777, 0o711, 'others pass through, list and change nothing');
        assert.equal(statSync(s.home).mode & 0o007, 0, 'the home stays closed to others');
        const down = await s.warden(['down']);
        assert.equal(down.code, 0, down.stderr);
        assert.equal(
          existsSync(dirname(socket)),
          false,
          'down removes the sockets and their directory',
        );
      },
    );

    void it(
      "refuses sd_notify from the user's processes outside the instance; its notification fd works",
      { skip: NO_SYSTEMD_NOTIFY },
      async (t) => {
        const got = setup(t);
        if (got === undefined) return;
        const { s, a } = got;
        s.config(
          [
            'services:',
            '  quiet:',
            '    command: exec sleep 600',
            `    user: ${a.name}`,
            '    ready: { notify: true, timeout: 120s }',
            '  byfd:',
            "    command: 'echo ready >&3; exec sleep 600'",
            `    user: ${a.name}`,
            '    ready: { fd: 3 }',
            '',
          ].join('\n'),
        );
        const up = await s.warden(['up']);
        assert.equal(up.code, 0, up.stderr);
        const instances = await waitFor('byfd running, quiet starting', async () => {
          const all = (await s.status()).instances;
          const byfd = all.find((i) => i.service === 'byfd');
          const quiet = all.find((i) => i.service === 'quiet');
          return (
            byfd?.state === 'running' &&
            quiet?.state === 'starting' &&
            quiet.pid !== null && { byfd, quiet }
          );
        });
        assert.equal(instances.byfd.readySource, 'fd');
        const socket = environOf(instances.quiet.pid ?? 0, 'NOTIFY_SOCKET') ?? '';
        // The user's own process, outside the instance's tree, reaches the socket but is refused.
        const sent = await notifyAs(a, socket, ['--ready']);
        const log = join(s.home, 'warden.log');
        await waitFor('the refusal in the daemon log', () =>
          /notify: refused a message from pid \d+: not in the process tree of any instance/.test(
            readFileSync(log, 'utf8'),
          ),
        );
        t.diagnostic(`systemd-notify outside the tree: exit ${sent.code} ${sent.stderr.trim()}`);
        const quiet = (await s.status()).instances.find((i) => i.service === 'quiet');
        assert.equal(quiet?.state, 'starting', 'not made ready by an outsider');
        // The daemon's own socket, in its home, stays out of the user's reach.
        const home = await notifyAs(a, join(s.home, 'notify.sock'), ['--ready']);
        assert.notEqual(home.code, 0);
        assert.match(home.stderr, /Permission denied|EACCES/);
      },
    );

    void it('keeps CAP_NET_BIND_SERVICE as an ambient capability: port < 1024 as the user', async (t) => {
      const got = setup(t);
      if (got === undefined) return;
      const { s, a } = got;
      const port = await freePrivilegedPort();
      const server = `require("net").createServer().listen(${port}, "127.0.0.1", () => console.log("listening")).on("error", (e) => { console.error(e.code); process.exit(3); })`;
      const service = (name: string, caps: string): string[] => [
        `  ${name}:`,
        `    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}]`,
        `    user: ${a.name}`,
        caps,
        '    restart: never',
        '    ready: { log: "^listening" }',
      ];
      s.config(
        ['services:', ...service('bind', '    capabilities: [CAP_NET_BIND_SERVICE]'), ''].join(
          '\n',
        ),
      );
      const up = await s.warden(['up', '--wait']);
      assert.equal(up.code, 0, up.stderr);
      const pid = (await s.status()).instances[0]?.pid ?? 0;
      assert.deepEqual(statusLine(pid, 'Uid').slice(0, 1), [String(a.uid)]);
      assert.equal(BigInt(`0x${statusLine(pid, 'CapAmb')[0]}`), 1n << 10n, 'CapAmb');
      await s.warden(['down']);
      s.config(['services:', ...service('bare', ''), ''].join('\n'));
      const bare = await s.warden(['up', '--wait']);
      assert.notEqual(bare.code, 0, 'no capability: it cannot bind');
      const log = readFileSync(join(s.home, 'logs', 'bare.log'), 'utf8');
      assert.match(log, /EACCES/);
    });
  });
}

void describe('bad privilege keys are config errors with their place', () => {
  let s: Sandbox | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });

  void it('an unknown user, group or capability starts nothing', async (t) => {
    if (!isRoot) return t.skip('needs root');
    s = sandbox();
    s.config(
      [
        'services:',
        '  web:',
        '    command: sleep 600',
        '    user: no-such-user-wt16',
        '    group: no-such-group-wt16',
        '    capabilities: [CAP_NET_BIND_SERVIC]',
        '    umask: 027',
        '',
      ].join('\n'),
    );
    const up = await s.warden(['up']);
    assert.equal(up.code, 2, up.stderr);
    assert.match(up.stderr, /warden\.yaml:4:11: services\.web\.user: no user "no-such-user-wt16"/);
    assert.match(
      up.stderr,
      /warden\.yaml:5:12: services\.web\.group: no group "no-such-group-wt16"/,
    );
    assert.match(
      up.stderr,
      /services\.web\.capabilities\[0\]: "CAP_NET_BIND_SERVIC" is not a capability.*did you mean "CAP_NET_BIND_SERVICE"/,
    );
    assert.match(up.stderr, /services\.web\.umask: write the umask as a quoted string/);
    assert.ok(!existsSync(join(s.home, 'warden.pid')) || (await s.warden(['status'])).code !== 0);
  });
});
