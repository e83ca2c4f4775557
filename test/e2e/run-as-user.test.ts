// Services as other users (docs/config/user.md), as root, started by warden-spawner: `user`,
// `group`, `groups`, `umask`, `no_new_privileges` and `capabilities` seen in /proc/PID/status and
// in what the process does, in both containment modes; bad input refused with its place. A real
// second user, made with useradd and removed after. The setpriv(1) path: run-as-user-setpriv.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { describeRunAs, isRoot } from '../helpers/run-as.js';

describeRunAs('warden-spawner');

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

void describe('a cwd the user may not enter', () => {
  let s: Sandbox | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });

  void it('fails the start naming the cwd, not the program', async (t) => {
    if (!isRoot) return t.skip('needs root');
    if (!existsSync(new URL('../../native/warden-spawner', import.meta.url)))
      return t.skip('warden-spawner was not built');
    s = sandbox();
    const sb = s;
    sb.config(
      'services:\n  web:\n    command: [sleep, "600"]\n    cwd: private\n    user: nobody\n',
    );
    mkdirSync(join(sb.dir, 'private'));
    chmodSync(join(sb.dir, 'private'), 0o700);
    const up = await sb.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    const web = await waitFor('web failed', async () => {
      const i = (await sb.status()).instances[0];
      return i?.state === 'failed' && i;
    });
    assert.deepEqual(web.lastExit, {
      spawnError: 'EACCES',
      path: join(sb.dir, 'private'),
      message: `cannot enter cwd ${join(sb.dir, 'private')}: EACCES`,
      detail: "as the service's user",
    });
  });
});
