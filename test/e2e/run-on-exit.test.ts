// Containers that end: `warden run` ends with its main service (`on_exit: shutdown`), with the
// first failed instance (`--exit-on-failure`), and caps its whole stop at `shutdown_timeout`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, sandbox, WARDEN, type Sandbox } from '../helpers/cli.js';

/** Starts `argv` in the sandbox; resolves with its exit code, its stderr and how long it ran. */
function start(s: Sandbox, argv: string[]): { child: ChildProcess; ended: Promise<Ended> } {
  const began = Date.now();
  const child = spawn(argv[0] ?? WARDEN, argv.slice(1), {
    env: s.env,
    cwd: s.dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<Ended>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr, ms: Date.now() - began })),
  );
  return { child, ended };
}

interface Ended {
  code: number | null;
  stderr: string;
  ms: number;
}

/** Where `needle` first appears in the log, or fails. */
function at(log: string, needle: string): number {
  const i = log.indexOf(needle);
  assert.notEqual(i, -1, `"${needle}" not in:\n${log}`);
  return i;
}

void describe('warden run: containers that end', () => {
  let s: Sandbox;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await s.cleanup();
  });

  void it('in a PID namespace, ends with the exit code of its on_exit: shutdown service', async (t) => {
    s = sandbox();
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/unshare')) {
      return t.skip('needs root and unshare(1) to make a PID namespace');
    }
    s.config(`
services:
  db:
    command: [sleep, "600"]
    min_uptime: 100ms
  cache:
    command: [sleep, "600"]
    depends_on: [db]
    min_uptime: 100ms
  main:
    command: sleep 1; exit 3
    depends_on: [cache]
    on_exit: shutdown
`);
    const run = start(s, [
      '/usr/bin/unshare',
      '--pid',
      '--fork',
      '--mount-proc',
      '--kill-child',
      WARDEN,
      'run',
    ]);
    child = run.child;
    const { code, stderr } = await run.ended;
    assert.equal(code, 3, stderr);
    assert.match(stderr, /main exited 3 \(on_exit: shutdown\); stopping every service/);
    // Dependents stop before their dependencies.
    assert.ok(
      at(stderr, 'cache: stopping -> stopped') < at(stderr, 'db: running -> stopping'),
      stderr,
    );
    assert.deepEqual(processesOfHome(s.home), []);
  });

  void it('exits 128+N when the on_exit: shutdown service dies of signal N', async () => {
    s = sandbox();
    s.config(`
services:
  other:
    command: [sleep, "600"]
  main:
    command: sleep 0.5; kill -USR1 $$$$; sleep 5
    on_exit: shutdown
`);
    const run = start(s, [WARDEN, 'run']);
    child = run.child;
    const { code, stderr } = await run.ended;
    assert.equal(code, 128 + 10, stderr);
    assert.deepEqual(processesOfHome(s.home), []);
  });

  void it('--exit-on-failure ends the run with 1 and the reason when an instance fails', async () => {
    s = sandbox();
    s.config(`
services:
  other:
    command: [sleep, "600"]
  crash:
    command: echo boom >&2; exit 4
    backoff: { initial: 10ms }
    start_limit: { burst: 1 }
`);
    const run = start(s, [WARDEN, 'run', '--exit-on-failure']);
    child = run.child;
    const { code, stderr } = await run.ended;
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      /crash failed \(start limit: 2 failed starts within 60000ms; last: exit 4\)/,
    );
    assert.deepEqual(processesOfHome(s.home), []);
  });

  void it('shutdown_timeout kills what still runs when it elapses', async () => {
    s = sandbox();
    s.config(`
shutdown_timeout: 1s
services:
  stubborn:
    command: trap "" TERM; echo ready; sleep 600
    stop_timeout: 60s
    on_exit: shutdown
  quick:
    command: sleep 0.5; exit 0
    on_exit: shutdown
`);
    const run = start(s, [WARDEN, 'run']);
    child = run.child;
    const { code, stderr, ms } = await run.ended;
    assert.equal(code, 0, stderr);
    assert.ok(ms < 15_000, `the stop took ${ms}ms, not stop_timeout's 60s`);
    assert.match(stderr, /shutdown_timeout \(1000ms\) elapsed: SIGKILL to stubborn/);
    assert.deepEqual(processesOfHome(s.home), []);
  });
});
