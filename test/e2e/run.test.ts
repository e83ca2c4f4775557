// `warden run` in the foreground keeps supervising when the reader of its stdout goes away.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

void describe('warden run', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('survives EPIPE on stdout (warden run | head) and still stops everything', async () => {
    s = sandbox();
    s.config(`
services:
  chatty:
    command: while :; do echo chatter; sleep 0.05; done
  quiet:
    command: [sleep, "600"]
`);
    const run = spawn(WARDEN, ['run'], {
      env: s.env,
      cwd: s.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => run.stdout.once('data', () => resolve()));
    run.stdout.destroy(); // like `head -1` exiting: the next writes get EPIPE
    const log = join(s.home, 'logs', 'chatty.log');
    const lines = (): number => readFileSync(log, 'utf8').split('\n').length;
    const before = lines();
    await waitFor('more chatter after the reader left', () => lines() > before + 10);
    const st = await waitFor('status still answers', async () => {
      const r = await s.warden(['status', '--json']);
      return r.code === 0 && r;
    });
    assert.match(
      st.stdout,
      /"name":"quiet","service":"quiet","kind":"service","state":"(starting|running)"/,
    );
    assert.equal(run.exitCode, null, 'warden run is still running');
    assert.doesNotMatch(stderr, /uncaught exception/, 'EPIPE is expected, not a crash');
    run.kill('SIGTERM');
    const code = await new Promise((r) => run.once('exit', r));
    assert.equal(code, 0, stderr);
    assert.deepEqual(processesOfHome(s.home), []);
  });
});
