// Root's default home is /var/lib/warden: `warden up` as root without WARDEN_HOME makes it
// (root's, mode 0700) and `warden status` finds it there. Runs only as root and only where
// /var/lib/warden does not exist yet (a real one is never touched); removes it after.
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { ROOT_HOME } from '../../src/home/paths.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf, isAlive } from '../helpers/procs.js';

const isRoot = process.getuid?.() === 0;
const why = !isRoot
  ? 'runs only as root'
  : existsSync(ROOT_HOME)
    ? `${ROOT_HOME} exists already (this test never touches a real one)`
    : false;

void describe("root's home", { skip: why }, () => {
  let s: Sandbox | undefined;
  let daemon: number | undefined;
  after(async () => {
    await s?.warden(['down'], { timeoutMs: 20_000 });
    if (daemon !== undefined && isAlive(daemon)) process.kill(daemon, 'SIGKILL');
    rmSync(ROOT_HOME, { recursive: true, force: true });
    await s?.cleanup();
  });

  void it('is /var/lib/warden by default, mode 0700, and the CLI finds it there', async () => {
    s = sandbox();
    delete s.env.WARDEN_HOME;
    delete s.env.XDG_STATE_HOME;
    s.config('services:\n  nap:\n    command: [sleep, "600"]\n    min_uptime: 100ms\n');
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /home \/var\/lib\/warden\)/);
    daemon = daemonPidOf(ROOT_HOME);
    const st = statSync(ROOT_HOME);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o7777, 0o700);
    const status = await s.warden(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as { daemon: { home: string; pid: number } };
    assert.deepEqual(report.daemon, { ...report.daemon, home: ROOT_HOME, pid: daemon });
    const down = await s.warden(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(isAlive(daemon), false);
  });
});
