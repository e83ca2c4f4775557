// Basic log capture: timestamped lines per stream, a partial last line kept, `logs -f` follows,
// and `warden run` prints service output in the foreground.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

void describe('logs', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('captures both streams in order and keeps a partial last line', async () => {
    s = sandbox();
    s.config(`
services:
  talker:
    command: for i in 1 2 3 4 5; do echo "out $i"; echo "err $i" >&2; done; printf "no newline"
    restart: never
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const file = join(s.home, 'logs', 'talker.log');
    await waitFor('the partial line', () => readFileSync(file, 'utf8').includes('no newline'));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const outs = lines.filter((l) => / talker out \| /.test(l)).map((l) => l.split(' | ')[1]);
    const errs = lines.filter((l) => / talker err \| /.test(l)).map((l) => l.split(' | ')[1]);
    assert.deepEqual(outs, ['out 1', 'out 2', 'out 3', 'out 4', 'out 5', 'no newline']);
    assert.deepEqual(errs, ['err 1', 'err 2', 'err 3', 'err 4', 'err 5']);
    const st = await waitFor('talker exited', async () => {
      const i = (await s.status()).instances[0];
      return i?.state === 'exited' && i;
    });
    assert.deepEqual(st.lastStderr.slice(-2), ['err 4', 'err 5']);
    const two = await s.warden(['logs', 'talker', '-n', '2']);
    assert.equal(two.stdout.trim().split('\n').length, 2);
  });

  void it('logs -f streams new lines until interrupted', async () => {
    s = sandbox();
    s.config(`
services:
  counter:
    command: i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.1; done
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const follower = spawn(WARDEN, ['logs', '-f', '-n', '0', 'counter'], {
      env: s.env,
      cwd: s.dir,
    });
    let out = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(
        'three followed lines',
        () => (out.match(/counter out \| line \d+/g) ?? []).length >= 3,
      );
    } finally {
      follower.kill('SIGINT');
    }
    const code = await new Promise((r) => follower.once('exit', r));
    assert.equal(code, 0);
  });

  void it('warden run supervises in the foreground and stops everything on SIGTERM', async () => {
    s = sandbox();
    s.config(`
services:
  hello:
    command: echo "hello from run"; exec sleep 600
`);
    const runner = spawn(WARDEN, ['run'], { env: s.env, cwd: s.dir });
    let out = '';
    runner.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the echoed line', () => out.includes('hello | hello from run'));
      await waitFor(
        'status answers',
        async () => (await s.status()).instances[0]?.state === 'running',
      );
    } finally {
      runner.kill('SIGTERM');
    }
    const code = await new Promise((r) => runner.once('exit', r));
    assert.equal(code, 0);
    assert.deepEqual(processesOfHome(s.home), []);
  });
});
