// Telling the truth about failures: crash loops end in `failed` and never look `running`, spawn
// errors carry their errno, exits are decoded, and a stop escalates to SIGKILL.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { connectControl } from '../../src/ipc/client.js';
import type { StatusReport } from '../../src/core/status.js';
import { processesOfHome, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

void describe('failures', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('a crash-looping service goes through backoff to failed and is never running', async () => {
    s = sandbox();
    s.config(`
services:
  crasher:
    command: echo "boom $$$$" >&2; exit 3
    min_uptime: 500ms
    backoff: { initial: 150ms, max: 300ms }
    start_limit: { burst: 3, interval: 1m }
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const client = await connectControl(join(s.home, 'warden.sock'));
    const seen = new Set<string>();
    let last: StatusReport['instances'][number] | undefined;
    try {
      await waitFor(
        'crasher failed',
        async () => {
          const r = await client.call('status', {});
          last = r.instances[0];
          if (last !== undefined) seen.add(last.state);
          assert.notEqual(last?.state, 'running', 'a crash loop must never show running');
          if (last?.state === 'backoff') {
            assert.ok(last.nextRestartAt !== null && last.nextRestartAt >= last.since);
            assert.ok(last.attempt !== null && last.attempt >= 1);
          }
          return last?.state === 'failed';
        },
        15_000,
        10,
      );
    } finally {
      client.close();
    }
    assert.ok(seen.has('backoff'), `backoff was visible (saw ${[...seen].join(', ')})`);
    assert.deepEqual(last?.lastExit, { code: 3 });
    assert.equal(last?.restarts, 3);
    assert.match(last?.reason ?? '', /start limit: 4 failed starts/);
    assert.match(last?.lastStderr.at(-1) ?? '', /^boom \d+$/);
    const table = await s.warden(['status']);
    assert.match(table.stdout, /crasher\s+failed\s+-\s+-\s+3\s+exit 3/);
    assert.match(table.stdout, /stderr: boom/);
    // A user's start resets the counters: they climb from 0 again, to failed again.
    assert.equal((await s.warden(['start', 'crasher'])).code, 0);
    const counts = new Set<number>();
    const again = await connectControl(join(s.home, 'warden.sock'));
    try {
      await waitFor(
        'crasher failed again',
        async () => {
          const i = (await again.call('status', {})).instances[0];
          if (i !== undefined) counts.add(i.restarts);
          return i?.state === 'failed' && counts.size > 1;
        },
        15_000,
        10,
      );
    } finally {
      again.close();
    }
    assert.ok(
      counts.has(0) || counts.has(1),
      `restarts climbed from 0 again: ${[...counts].join(',')}`,
    );
  });

  void it('a loop of runs that reach running and die before reset_after ends failed', async () => {
    s = sandbox();
    s.config(`
services:
  shortlived:
    command: sleep 0.5; echo "boom $$$$" >&2; exit 3
    min_uptime: 100ms
    backoff: { initial: 50ms, max: 100ms, reset_after: 1m }
    start_limit: { burst: 2, interval: 1m }
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const seen = new Set<string>();
    const r = await waitFor(
      'shortlived failed',
      async () => {
        const i = (await s.status()).instances[0];
        if (i !== undefined) seen.add(i.state);
        return i?.state === 'failed' && i;
      },
      15_000,
      20,
    );
    assert.ok(seen.has('running'), `each run reached running (saw ${[...seen].join(', ')})`);
    assert.equal(r.restarts, 2, 'burst (2) automatic restarts, then failed');
    assert.deepEqual(r.lastExit, { code: 3 });
    assert.match(r.reason ?? '', /^start limit: 3 failed starts within 60000ms; last: exit 3$/);
    assert.match(r.lastStderr.at(-1) ?? '', /^boom \d+$/);
    assert.equal(processesOfHome(s.home).length, 1, 'only the daemon is left');
  });

  void it('a missing program is spawnError ENOENT and a non-executable one EACCES', async () => {
    s = sandbox();
    s.config('services: {}\n'); // replaced below; the dir must exist first
    const script = join(s.dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    s.config(`
services:
  missing:
    command: [/nonexistent/bin/server, --port, "1"]
  noexec:
    command: [${script}]
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const r = await waitFor('both failed', async () => {
      const st = await s.status();
      return st.instances.every((i) => i.state === 'failed') && st;
    });
    const [missing, noexec] = r.instances;
    assert.deepEqual(
      { ...missing?.lastExit, message: undefined },
      { spawnError: 'ENOENT', path: '/nonexistent/bin/server', message: undefined },
    );
    assert.equal(
      noexec?.lastExit && 'spawnError' in noexec.lastExit && noexec.lastExit.spawnError,
      'EACCES',
    );
    assert.equal(missing?.restarts, 0, 'a spawn error is not retried');
    const table = await s.warden(['status']);
    assert.match(table.stdout, /spawn failed: ENOENT \(\/nonexistent\/bin\/server\)/);
  });

  void it('restart policies: on-failure leaves a clean exit exited; never leaves any exit', async () => {
    s = sandbox();
    s.config(`
services:
  clean:
    command: exit 0
    restart: on-failure
  dirty:
    command: kill -SEGV $$$$
    restart: never
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const r = await waitFor('both exited', async () => {
      const st = await s.status();
      return st.instances.every((i) => i.state === 'exited') && st;
    });
    assert.deepEqual(r.instances[0]?.lastExit, { code: 0 });
    const dirty = r.instances[1]?.lastExit;
    assert.ok(
      dirty !== undefined && dirty !== null && 'signal' in dirty && dirty.signal === 'SIGSEGV',
    );
  });

  void it('a process that ignores the stop signal is killed after stop_timeout', async () => {
    s = sandbox();
    s.config(`
services:
  stubborn:
    command: trap "" TERM; echo ready; while :; do sleep 0.1; done
    stop_timeout: 300ms
    min_uptime: 100ms
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const r = await s.warden(['stop', 'stubborn']);
    assert.equal(r.code, 0, r.stderr);
    const i = (await s.status()).instances[0];
    assert.equal(i?.state, 'stopped');
    assert.deepEqual(i?.lastExit, { signal: 'SIGKILL', coreDumped: false });
    assert.equal(processesOfHome(s.home).length, 1, 'only the daemon is left');
    // It starts again: in cgroup mode the leaf that cgroup.kill emptied is made anew (Linux
    // SIGKILLs what is cloned into a killed cgroup).
    assert.equal((await s.warden(['start', 'stubborn'])).code, 0);
    const waited = await s.warden(['wait', 'stubborn', '--timeout', '10s']);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal((await s.status()).instances[0]?.state, 'running');
  });

  void it('a stopped (SIGSTOP) service still stops at once on its stop signal', async () => {
    s = sandbox();
    s.config(`
services:
  frozen:
    command: [sleep, "600"]
    stop_timeout: 20s
    min_uptime: 100ms
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    assert.equal((await s.warden(['signal', 'SIGSTOP', 'frozen'])).code, 0);
    const r = await s.warden(['stop', 'frozen']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await s.status()).instances[0]?.lastExit, {
      signal: 'SIGTERM',
      coreDumped: false,
    });
  });

  void it('children of a run script without exec are stopped with it', async () => {
    s = sandbox();
    s.config(`
services:
  noexec:
    command: sleep 600 & sleep 600 & wait
    min_uptime: 100ms
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    await waitFor('three service processes', () => processesOfHome(s.home).length === 4);
    assert.equal((await s.warden(['stop', 'noexec'])).code, 0);
    assert.equal(processesOfHome(s.home).length, 1, 'only the daemon is left');
  });

  void it('wait exits 1 with the reason when a service fails', async () => {
    s = sandbox();
    s.config(`
services:
  doomed:
    command: [/nonexistent]
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const r = await s.warden(['wait', 'doomed', '--timeout', '10s']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /doomed is failed/);
  });
});
