// Basic log capture: timestamped lines per stream, a partial last line kept, `logs -f` follows
// (before the first `up`, across rotation, with -n 0), and `warden run` prints service output in
// the foreground.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { formatLogLine } from '../../src/logs/log-file.js';
import { processesOfHome, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

/** A running `warden logs ARGS` and what it printed. */
interface Follower {
  output(): string;
  /** Throws if the process has already exited (a follower must stay until told to stop). */
  assertRunning(): void;
  /** SIGINT, then its exit code. */
  stop(): Promise<number | null>;
}

function startLogs(s: Sandbox, args: string[]): Follower {
  mkdirSync(s.dir, { recursive: true });
  const child = spawn(WARDEN, ['logs', ...args], { env: s.env, cwd: s.dir });
  let out = '';
  let err = '';
  let code: number | null | undefined;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (c) => {
      code = c;
      resolve(c);
    }),
  );
  return {
    output: () => out,
    assertRunning() {
      if (code !== undefined) throw new Error(`warden logs exited early with ${code}: ${err}`);
    },
    stop() {
      if (code === undefined) child.kill('SIGINT');
      return exited;
    },
  };
}

// Appends `prefix N` lines to `file` until the follower has shown one (it may not watch yet).
async function appendUntilShown(f: Follower, file: string, prefix: string): Promise<void> {
  let k = 0;
  await waitFor(`a followed "${prefix}" line`, () => {
    f.assertRunning();
    appendFileSync(file, formatLogLine(Date.now(), 'web:0', 'out', `${prefix} ${++k}`));
    return f.output().includes(`${prefix} `);
  });
}

function writeLog(s: Sandbox, service: string, texts: string[]): string {
  const dir = join(s.home, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${service}.log`);
  const time = Date.now();
  writeFileSync(
    file,
    texts.map((t, i) => formatLogLine(time + i, `${service}:0`, 'out', t)).join(''),
  );
  return file;
}

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

  void it('logs -n 0 prints no line, and -n 0 -f only new ones', async () => {
    s = sandbox();
    const file = writeLog(s, 'web', ['old 1', 'old 2', 'old 3']);
    for (const args of [['web'], []]) {
      const r = await s.warden(['logs', ...args, '-n', '0']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, '');
    }
    assert.equal((await s.warden(['logs', 'web', '-n', '2'])).stdout.split('\n').length, 3);
    const f = startLogs(s, ['web', '-n', '0', '-f']);
    try {
      await appendUntilShown(f, file, 'new');
      assert.doesNotMatch(f.output(), /old/);
    } finally {
      assert.equal(await f.stop(), 0);
    }
  });

  void it('logs -f before the first up waits for the directory and every new log', async () => {
    s = sandbox();
    const f = startLogs(s, ['-f']);
    try {
      const dir = join(s.home, 'logs');
      await waitFor('the log directory', () => {
        f.assertRunning();
        return existsSync(dir);
      });
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      await appendUntilShown(f, join(dir, 'web.log'), 'first');
      await appendUntilShown(f, join(dir, 'api.log'), 'second');
    } finally {
      assert.equal(await f.stop(), 0);
    }
  });

  void it('logs -f SERVICE before the first up follows only that log once it appears', async () => {
    s = sandbox();
    const f = startLogs(s, ['web', '-f']);
    try {
      const dir = join(s.home, 'logs');
      await waitFor('the log directory', () => {
        f.assertRunning();
        return existsSync(dir);
      });
      appendFileSync(join(dir, 'other.log'), formatLogLine(Date.now(), 'other:0', 'out', 'nope'));
      await appendUntilShown(f, join(dir, 'web.log'), 'web line');
      assert.doesNotMatch(f.output(), /nope/);
    } finally {
      assert.equal(await f.stop(), 0);
    }
  });

  void it('logs -f reads a log rotated by rename from the new file start', async () => {
    s = sandbox();
    const file = writeLog(s, 'web', ['old 1']);
    const f = startLogs(s, ['web', '-n', '0', '-f']);
    try {
      await appendUntilShown(f, file, 'before');
      const oldSize = statSync(file).size;
      renameSync(file, `${file}.1`);
      const time = Date.now();
      // Larger than the old file, however many lines a slow follower made the test append.
      const count = Math.max(50, Math.ceil(oldSize / 30));
      const texts = Array.from({ length: count }, (_, i) => `after ${i + 1}`);
      writeFileSync(file, texts.map((t) => formatLogLine(time, 'web:0', 'out', t)).join(''));
      assert.ok(statSync(file).size > oldSize, 'the new file is larger than the old one');
      await waitFor('the last rotated line', () => f.output().includes(`after ${count}\n`));
      assert.match(f.output(), /web:0 out \| after 1\n/);
    } finally {
      assert.equal(await f.stop(), 0);
    }
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
