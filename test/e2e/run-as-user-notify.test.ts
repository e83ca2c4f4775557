// Readiness across users (docs/config/user.md): a service running as another user reaches its
// own notify socket (redis-server --supervised systemd reaches running), which no other user can
// reach; the user's processes outside the instance are refused; the notification fd works; the
// home stays closed. A real second user, made with useradd and removed after; both containments.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/cli.js';
import { freePort, skipWithout } from '../helpers/readiness.js';
import { modes, statusLine, userSuite, type Account } from '../helpers/run-as.js';

const NO_REDIS = skipWithout('redis-server', 'apt-get install redis-server');
const NO_SYSTEMD_NOTIFY = skipWithout('systemd-notify', 'apt-get install systemd');

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

for (const mode of modes) {
  void describe(`sd_notify across users (${mode})`, () => {
    const setup = userSuite(mode);

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
  });
}
