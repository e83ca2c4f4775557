// One-shot tasks (`kind: task`) through bin/warden: a migration that must end before `web`
// starts (`succeeded`, `completed`), what status shows of a done or failed task and of what it
// holds, `reload` and `warden start` running it again, and a daemon restart that keeps its outcome.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { InstanceStatus } from '../../src/core/status.js';
import { readState } from '../../src/daemon/state-file.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf } from '../helpers/procs.js';

// A task that counts its runs in runs.txt, says something on stderr and exits with $CODE.
function config(code: number, condition: string, extra = ''): string {
  return `
services:
  migrate:
    kind: task
    command: 'echo run >> runs.txt; echo migrating; echo "ERROR: relation users does not exist" >&2; sleep 0.3; exit ${code}'
    env: { CODE: "${code}"${extra} }
  web:
    command: [sleep, "600"]
    min_uptime: 100ms
    depends_on: { migrate: ${condition} }
`;
}

async function instance(s: Sandbox, name: string): Promise<InstanceStatus | undefined> {
  return (await s.status()).instances.find((i) => i.name === name);
}

function runs(s: Sandbox): number {
  const file = join(s.dir, 'runs.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

void describe('kind: task', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('exit 0 lets a succeeded dependent start; status shows it done', async () => {
    s = sandbox();
    s.config(config(0, 'succeeded'));
    const up = await s.warden(['up', '--wait', '--timeout', '20s']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const st = await s.status();
    const migrate = st.instances.find((i) => i.name === 'migrate');
    const web = st.instances.find((i) => i.name === 'web');
    assert.equal(migrate?.state, 'exited');
    assert.equal(migrate.kind, 'task');
    assert.ok((migrate.ranMs ?? 0) >= 300, `ran ${String(migrate.ranMs)}ms`);
    assert.equal(web?.state, 'running');
    assert.ok((web.startedAt ?? 0) >= migrate.since, 'web started once migrate had ended');
    const table = await s.warden(['status']);
    assert.match(table.stdout, /migrate\s+done \(\d+\.\ds\)/);
    const waited = await s.warden(['wait', 'migrate', '--timeout', '5s']);
    assert.equal(waited.code, 0, `a done task is fine for wait: ${waited.stderr}`);
  });

  void it('up --wait waits for a task to end, not only to run', async () => {
    s = sandbox();
    s.config(`
services:
  slow:
    kind: task
    command: sleep 1.5; exit 0
    min_uptime: 100ms
`);
    const up = await s.warden(['up', '--wait', '--timeout', '20s']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.equal((await instance(s, 'slow'))?.state, 'exited', 'done when up --wait returned');
  });

  void it('exit 1 holds a succeeded dependent with the reason and the task stderr', async () => {
    s = sandbox();
    s.config(config(1, 'succeeded'));
    assert.equal((await s.warden(['up'])).code, 0);
    const web = await waitFor('web held', async () => {
      const w = await instance(s, 'web');
      return w?.reason === 'migrate exited 1' && w;
    });
    assert.equal(web.state, 'stopped');
    assert.deepEqual(web.stderrSummary, ['ERROR: relation users does not exist']);
    assert.equal((await instance(s, 'migrate'))?.state, 'failed');
    const table = await s.warden(['status', 'web']);
    assert.match(table.stdout, /migrate exited 1\n.*stderr: ERROR: relation users does not exist/);
    const waited = await s.warden(['up', '--wait', '--timeout', '5s']);
    assert.equal(waited.code, 1, 'up --wait fails on a failed task');
  });

  void it('completed lets the dependent start after exit 1', async () => {
    s = sandbox();
    s.config(config(1, 'completed'));
    assert.equal((await s.warden(['up'])).code, 0);
    await waitFor('web running', async () => (await instance(s, 'web'))?.state === 'running');
    assert.equal((await instance(s, 'migrate'))?.state, 'failed');
  });

  void it('reload runs it again only when it changed; start runs it on request', async () => {
    s = sandbox();
    s.config(config(0, 'succeeded'));
    assert.equal((await s.warden(['up', '--wait', '--timeout', '20s'])).code, 0);
    assert.equal(runs(s), 1);
    const webPid = (await instance(s, 'web'))?.pid;
    assert.equal((await s.warden(['reload'])).code, 0);
    assert.equal((await s.warden(['up', '--wait', '--timeout', '20s'])).code, 0);
    assert.equal(runs(s), 1, 'an unchanged task is not run again by reload or up');
    assert.equal((await instance(s, 'migrate'))?.state, 'exited');

    s.config(config(0, 'succeeded', ', CHANGED: "1"'));
    assert.equal((await s.warden(['reload'])).code, 0);
    await waitFor('the changed task ran again', () => runs(s) === 2);
    await waitFor('done again', async () => (await instance(s, 'migrate'))?.state === 'exited');
    assert.equal((await instance(s, 'web'))?.pid, webPid, 'web kept running');

    assert.equal((await s.warden(['start', 'migrate'])).code, 0);
    await waitFor('started again on request', () => runs(s) === 3);
    await waitFor('done again', async () => (await instance(s, 'migrate'))?.state === 'exited');
  });

  void it('a daemon killed and started again keeps the outcome and does not run it again', async () => {
    s = sandbox();
    s.config(config(0, 'succeeded'));
    assert.equal((await s.warden(['up', '--wait', '--timeout', '20s'])).code, 0);
    const before = await instance(s, 'migrate');
    await waitFor('state.json has the task done', async () => {
      const saved = await readState(join(s.home, 'state.json'));
      return saved.kind === 'ok' && JSON.stringify(saved.state).includes('"state":"exited"');
    });
    process.kill(daemonPidOf(s.home), 'SIGKILL');
    await waitFor('the daemon gone', async () => (await s.warden(['status'])).code === 3);
    assert.equal((await s.warden(['up', '--wait', '--timeout', '20s'])).code, 0);
    const after = await instance(s, 'migrate');
    assert.equal(after?.state, 'exited');
    assert.equal(after.since, before?.since);
    assert.equal(after.ranMs, before?.ranMs);
    assert.equal(runs(s), 1);
  });
});
