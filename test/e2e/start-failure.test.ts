// A daemon that cannot start leaves nothing of itself behind: before its start can fail it has
// taken the home and made its cgroup, and a failed `warden run` must undo both, not leave an
// empty cgroup per attempt under the system's cgroup root.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { wardenCgroupOf } from '../helpers/procs.js';

void describe('a daemon whose start fails', () => {
  let s: Sandbox | undefined;
  let holder: Server | undefined;
  afterEach(async () => {
    await s?.cleanup();
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
  });

  void it('on a port in use, leaves no cgroup, lock, socket or key', async () => {
    const busy = createServer();
    holder = busy;
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    s = sandbox();
    s.config(
      `http:\n  listen: 127.0.0.1:${port}\n  read: open\nservices:\n  web:\n    command: [sleep, "600"]\n`,
    );
    const run = await s.warden(['run']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    // The start got as far as its containment: in cgroup mode, the home's cgroup was made.
    const cgroupMode = /containment: cgroup v2/.test(run.stderr);
    const cgroup = wardenCgroupOf(s.home);
    if (cgroupMode && cgroup !== undefined) assert.ok(!existsSync(cgroup), `${cgroup} was removed`);
    for (const file of ['warden.sock', 'warden.key', 'notify.sock'])
      assert.ok(!existsSync(join(s.home, file)), `${file} was removed`);
  });
});
