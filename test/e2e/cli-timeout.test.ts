// A frozen daemon does not hang the CLI (issue 13, point 6): every request gives up after
// `--timeout` of silence, names the daemon's pid, and says when it is stopped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sandbox, type Sandbox } from '../helpers/cli.js';

void describe('CLI answer timeout', () => {
  let s: Sandbox;
  let pid: number;
  before(async () => {
    s = sandbox();
    s.config(
      'services:\n  slow:\n    command: "trap \'sleep 2; exit 0\' TERM; while :; do sleep 0.1; done"\n',
    );
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    pid = (await s.status()).daemon.pid;
  });
  after(async () => {
    process.kill(pid, 'SIGCONT');
    await s.cleanup();
  });

  void it('says the daemon is stopped, and works again once it is continued', async () => {
    process.kill(pid, 'SIGSTOP');
    try {
      for (const args of [
        ['status', '--timeout', '1s'],
        ['--timeout', '1s', 'status', '--json'],
        ['--timeout', '1s', 'ps'],
      ]) {
        // The harness's own limit (20 s) is far above the timeout: the CLI must end by itself.
        const r = await s.warden(args, { timeoutMs: 20_000 });
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(
          r.stderr.trim(),
          `warden: the daemon (pid ${pid}) did not answer within 1s; it is stopped (SIGSTOP?); continue it with kill -CONT ${pid}`,
        );
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const r = await s.warden(['status', '--timeout', '1s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /slow\s+running/);
  });

  void it('does not cut a request that takes longer than the timeout while the daemon lives', async () => {
    // The stop takes 2 s (the trap), twice the timeout: the daemon answers the pings meanwhile.
    const r = await s.warden(['--timeout', '1s', 'stop', 'slow']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /slow stopped \(last exit: exit 0\)/);
  });

  void it('refuses a bad --timeout as a usage error', async () => {
    const r = await s.warden(['status', '--timeout', 'soon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--timeout: "soon" is not a duration/);
  });
});
