// Services as other users, shared by the tests of both start paths (run-as-user*.test.ts): a real
// second user made with useradd and removed after, what /proc says of a process, and the suites
// that check `user`, `group`, `groups`, `umask`, `no_new_privileges` and `capabilities` through one
// start path in both containment modes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { sandbox, waitFor, type Sandbox } from './cli.js';

/** A real second user and two groups, one of which it is a member of. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
  /** A group the user is a member of (supplementary), and one it is not. */
  member: { name: string; gid: number };
  extra: { name: string; gid: number };
}

export const isRoot = process.getuid?.() === 0;
const hasSpawner = existsSync(new URL('../../native/warden-spawner', import.meta.url));
const hasSetpriv = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv'].some(
  (p) => existsSync(p),
);
/** How a privileged start is made: by warden-spawner, or (without it) through setpriv(1). */
export type StartPath = 'warden-spawner' | 'setpriv';
const canStart: Record<StartPath, boolean> = { 'warden-spawner': hasSpawner, setpriv: hasSetpriv };

function gidOf(group: string): number {
  return Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
}

/** Makes the user `wt16u<pid>` and its groups (useradd, groupadd); `removeAccount` them after. */
export function makeAccount(): Account {
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

/** Removes the user and groups `makeAccount` made. */
export function removeAccount(account: Account): void {
  execFileSync('userdel', [account.name]);
  execFileSync('groupdel', [account.member.name]);
  execFileSync('groupdel', [account.extra.name]);
}

// A privileged loopback port nothing listens on (bound and released by this root process). The
// search starts at a place of this test process's own, so that test files running side by side
// do not pick the same port between the check and the service's bind.
async function freePrivilegedPort(): Promise<number> {
  for (let i = 0; i < 324; i++) {
    const port = 700 + ((process.pid * 7 + i) % 324);
    const ok = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free privileged port on 127.0.0.1');
}

/** The fields of the `Key:` line of /proc/PID/status. */
export function statusLine(pid: number, key: string): string[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return (line ?? '')
    .slice(key.length + 1)
    .trim()
    .split(/\s+/);
}

/** The containment modes the suites run in. */
export const modes = ['cgroup', 'process-group'] as const;

// The program the main process runs now: the service's own, once the helpers exec'd it.
function exeOf(pid: number): string {
  try {
    return realpathSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

// The warden-spawner processes among the daemon's children.
function spawnersOf(daemon: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
        return comm === 'warden-spawner' && ppid === String(daemon);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

// In cgroup containment the process is in its instance's leaf (the sh wrapper joined it before
// the exec of setpriv); in process-group mode it leads its own process group and session.
async function assertContained(s: Sandbox, pid: number): Promise<void> {
  const { daemon } = await s.status();
  const spawners = spawnersOf(daemon.pid).length;
  if (s.env.WARDEN_TEST_WITHOUT === undefined)
    assert.equal(spawners, 1, 'started by warden-spawner');
  else assert.equal(spawners, 0, 'no warden-spawner: the start took setpriv');
  if (daemon.containment === 'cgroup') {
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), /warden-[0-9a-f]{12}\//);
  } else {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [pgrp, session] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(2, 4);
    assert.deepEqual([pgrp, session], [String(pid), String(pid)], 'its own group and session');
  }
}

/**
 * A sandbox `account` may enter, in containment `mode`, whose daemon starts privileged processes
 * by `path`; with a directory `out` the user owns.
 */
export function userSandbox(
  account: Account,
  mode: (typeof modes)[number],
  path: StartPath = 'warden-spawner',
): { s: Sandbox; out: string } {
  const s = sandbox();
  if (mode === 'process-group') s.env.WARDEN_CONTAINMENT = 'process-group';
  if (path === 'setpriv') s.env.WARDEN_TEST_WITHOUT = 'warden-spawner';
  chmodSync(dirname(s.home), 0o755);
  const out = join(s.dir, 'out');
  mkdirSync(out, { recursive: true });
  chownSync(out, account.uid, account.gid);
  return { s, out };
}

/** What a test of a second user works with: its sandbox, the user, a directory the user owns. */
export interface UserSetup {
  s: Sandbox;
  a: Account;
  out: string;
}

/**
 * Registers in the enclosing describe: a second user made before its tests (as root, when
 * `path` can start as another user) and removed after, and each test's sandbox cleaned up.
 * @returns each test's setup: a userSandbox, or undefined once the test was skipped (no root, no
 * `path`)
 */
export function userSuite(
  mode: (typeof modes)[number],
  path: StartPath = 'warden-spawner',
): (t: TestContext) => UserSetup | undefined {
  let account: Account | undefined;
  let s: Sandbox | undefined;
  before(() => {
    if (isRoot && canStart[path]) account = makeAccount();
  });
  after(() => {
    if (account !== undefined) removeAccount(account);
  });
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });
  return (t) => {
    if (account === undefined) {
      t.skip(isRoot ? `no ${path}` : 'needs root');
      return undefined;
    }
    const made = userSandbox(account, mode, path);
    s = made.s;
    return { s, a: account, out: made.out };
  };
}

/** The suites of `path`, in both containment modes (setpriv: warden-spawner withheld). */
export function describeRunAs(path: StartPath): void {
  for (const mode of modes) {
    void describe(`services as another user (${mode}, ${path})`, () => {
      const setup = userSuite(mode, path);

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
        // The helpers exec'd (never forked): the pid warden watches is the service's own.
        const sleep = realpathSync(
          execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(),
        );
        await waitFor('the main pid runs sleep', () => exeOf(pid) === sleep);
        await assertContained(s, pid);
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
        assert.equal(exeOf(pid), realpathSync(process.execPath), 'the main pid is the server');
        await assertContained(s, pid);
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
}
