// Services as other users without warden-spawner (docs/config/user.md#without-warden-spawner-setpriv1),
// as root: WARDEN_TEST_WITHOUT withholds warden-spawner and the same checks as run-as-user's pass
// through setpriv(1), in both containment modes; withheld setpriv too, a start with privileges
// fails with ENOTSUP naming both ways out, and a umask alone needs neither.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { describeRunAs, isRoot, modes } from '../helpers/run-as.js';

describeRunAs('setpriv');

for (const mode of modes) {
  void describe(`neither warden-spawner nor setpriv (${mode})`, () => {
    let s: Sandbox | undefined;
    afterEach(async () => {
      await s?.cleanup();
      s = undefined;
    });

    void it('a start with privileges fails with ENOTSUP naming both ways out; a umask needs only sh', async (t) => {
      if (!isRoot) return t.skip('needs root');
      s = sandbox();
      if (mode === 'process-group') s.env.WARDEN_CONTAINMENT = 'process-group';
      s.env.WARDEN_TEST_WITHOUT = 'warden-spawner,setpriv';
      chmodSync(dirname(s.home), 0o755); // nobody may enter the cwd: ENOTSUP is the only reason
      s.config(
        [
          'services:',
          '  web:',
          '    command: sleep 600',
          '    user: nobody',
          '    restart: never',
          '  plain:',
          '    command: sleep 600',
          '  masked:',
          `    command: 'touch ${s.dir}/masked; exec sleep 600'`,
          '    umask: "027"',
          '',
        ].join('\n'),
      );
      await s.warden(['up', '--wait']);
      const report = await waitFor('web failed, plain and masked running', async () => {
        const r = await s?.status();
        const state = (name: string): string | undefined =>
          r?.instances.find((i) => i.service === name)?.state;
        const up = state('plain') === 'running' && state('masked') === 'running';
        return state('web') === 'failed' && up && r;
      });
      const masked = join(s.dir, 'masked');
      await waitFor('masked made its file', () => existsSync(masked));
      assert.equal(statSync(masked).mode & 0o777, 0o640, 'umask 027 without either helper');
      const web = report.instances.find((i) => i.service === 'web');
      const last = web?.lastExit;
      assert.ok(last !== null && last !== undefined && 'spawnError' in last, JSON.stringify(last));
      assert.equal(last.spawnError, 'ENOTSUP');
      assert.match(last.message, /warden-spawner/);
      assert.match(last.message, /C compiler/);
      assert.match(last.message, /setpriv/);
      assert.match(last.message, /util-linux/);
    });
  });
}
