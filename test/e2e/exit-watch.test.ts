// The exit watcher against real processes that are not this process's children: sleeps whose
// shell exited at once, so they were reparented away (to init or a subreaper), as the services a
// restarted daemon adopts are.
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import {
  openExitWatcher,
  openExitWatcherWith,
  type ExitWatcher,
} from '../../src/effects/exit/exit-watch.js';
import { SyscallError } from '../../src/effects/ffi/errno.js';
import { pidfdOpen } from '../../src/effects/ffi/process.js';
import { isDead, readProc, signalProcess } from '../../src/effects/containment/proc.js';
import { runProcess, waitFor } from '../helpers/cli.js';

const run = promisify(execFile);

/** A process as the watcher names it. */
interface Orphan {
  pid: number;
  startTime: number;
}

const SPAWN_SLEEPS =
  'i=0; while [ $i -lt $1 ]; do sleep 30 >/dev/null 2>&1 & echo $!; i=$((i+1)); done';

/** Starts `count` sleeps whose shell has exited; SIGKILLs those still alive after the test. */
async function orphans(t: TestContext, count: number): Promise<Orphan[]> {
  const { stdout } = await run('/bin/sh', ['-c', SPAWN_SLEEPS, 'sh', String(count)]);
  const found = stdout
    .trim()
    .split('\n')
    .map((line) => {
      const info = readProc(Number(line));
      if (info === undefined) throw new Error(`sleep ${line} is gone already`);
      assert.notEqual(info.ppid, process.pid, 'the sleep must not be a child of the test');
      return { pid: info.pid, startTime: info.startTime };
    });
  t.after(() => found.forEach(kill));
  return found;
}

async function orphan(t: TestContext): Promise<Orphan> {
  const [one] = await orphans(t, 1);
  if (one === undefined) throw new Error('no sleep started');
  return one;
}

// By pid and start time, so a pid reused meanwhile is never hit.
function kill(o: Orphan): void {
  signalProcess(o.pid, o.startTime, 'SIGKILL');
}

function hasExited(o: Orphan): boolean {
  const info = readProc(o.pid);
  return info === undefined || info.startTime !== o.startTime || isDead(info);
}

function watcher(t: TestContext, w = openExitWatcher()): ExitWatcher {
  t.after(() => w.close());
  return w;
}

/** How many pidfds this process has open. */
function openPidfds(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).includes('pidfd');
    } catch {
      return false; // the fd of readdir itself, closed by now
    }
  }).length;
}

// The numbers of poll(2) and ppoll(2), which glibc's poll() may use (asm/unistd_64.h;
// aarch64 has ppoll only).
const POLL_SYSCALLS = ({ x64: [7, 271], arm64: [73] } as Record<string, number[]>)[process.arch];

function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

// Watches a fresh process, ends it and waits for its onExit. Exits come from the watcher in the
// order they happened, so once this returns, any call due for an earlier exit has been made.
async function barrier(t: TestContext, w: ExitWatcher, timeoutMs = 10_000): Promise<void> {
  const o = await orphan(t);
  let isCalled = false;
  assert.ok(w.watch(o.pid, o.startTime, () => (isCalled = true)));
  kill(o);
  await waitFor('the barrier process to be seen exiting', () => isCalled, timeoutMs);
}

void describe('exit watcher', () => {
  void it('calls onExit once, on the main thread, when a process that is not a child exits', async (t) => {
    const w = watcher(t);
    const o = await orphan(t);
    const baseline = openPidfds();
    const calls: boolean[] = [];
    assert.ok(w.watch(o.pid, o.startTime, () => void calls.push(isMainThread)));
    assert.equal(openPidfds(), baseline + 1);
    assert.deepEqual(calls, []);
    kill(o);
    await waitFor('onExit', () => calls.length > 0);
    await barrier(t, w);
    assert.deepEqual(calls, [true]);
    assert.equal(openPidfds(), baseline);
  });

  void it('never calls onExit after cancel(), which may be called twice', async (t) => {
    const w = watcher(t);
    const o = await orphan(t);
    const baseline = openPidfds();
    let calls = 0;
    const watch = w.watch(o.pid, o.startTime, () => calls++);
    assert.ok(watch);
    watch.cancel();
    watch.cancel();
    kill(o);
    await waitFor('the cancelled process to end', () => hasExited(o));
    await barrier(t, w);
    assert.equal(calls, 0);
    await waitFor('its pidfd to be closed', () => openPidfds() === baseline);
  });

  void it('returns undefined for a wrong start time (a reused pid), a gone pid or a zombie', async (t) => {
    const w = watcher(t);
    const o = await orphan(t);
    const baseline = openPidfds();
    const never = (): void => assert.fail('onExit called for a process not watched');
    assert.equal(w.watch(o.pid, o.startTime - 1, never), undefined);
    assert.equal(w.watch(o.pid, o.startTime + 1, never), undefined);

    kill(o);
    await waitFor('the process to end', () => hasExited(o));
    assert.equal(w.watch(o.pid, o.startTime, never), undefined);

    // A shell that told its own identity, then exited and was reaped.
    const { stdout: identity } = await run('/bin/sh', [
      '-c',
      'echo $$ $(cut -d" " -f22 /proc/$$/stat)',
    ]);
    const [gonePid, goneStart] = identity.trim().split(' ').map(Number);
    assert.ok(gonePid !== undefined && goneStart !== undefined);
    assert.equal(w.watch(gonePid, goneStart, never), undefined);

    // `sleep 0` is a child of the shell, which then becomes `sleep 30` and never reaps it.
    const script = 'sleep 0 & echo $!; exec sleep 30 >/dev/null 2>&1';
    const { child, stdout } = await startReading(script);
    t.after(() => child.kill('SIGKILL'));
    const zombie = Number(stdout);
    const info = await waitFor('a zombie', () => {
      const i = readProc(zombie);
      return i !== undefined && isDead(i) && i;
    });
    assert.equal(w.watch(zombie, info.startTime, never), undefined);
    assert.equal(openPidfds(), baseline);
  });

  void it('calls onExit for each of 50 concurrent watches', async (t) => {
    const w = watcher(t);
    const all = await orphans(t, 50);
    const calls = all.map(() => 0);
    all.forEach((o, i) =>
      assert.ok(w.watch(o.pid, o.startTime, () => (calls[i] = (calls[i] ?? 0) + 1))),
    );
    all.forEach(kill);
    await waitFor('50 onExit calls', () => calls.every((n) => n > 0));
    await barrier(t, w);
    assert.deepEqual(
      calls,
      all.map(() => 1),
    );
  });

  void it('starts its thread on the first watch only, and close() ends it', async (t) => {
    const o = await orphan(t);
    const before = threadCount();
    const w = openExitWatcher();
    assert.equal(threadCount(), before);
    assert.ok(w.watch(o.pid, o.startTime, () => assert.fail('onExit after close()')));
    assert.ok(threadCount() > before);
    let isClosed = false;
    void w.close().then(() => (isClosed = true));
    await waitFor('close() to resolve', () => isClosed, 5000);
    await waitFor('the thread to be gone', () => threadCount() <= before, 5000);
    assert.throws(() => w.watch(o.pid, o.startTime, () => undefined), /after close/);
  });

  for (const ending of ['close', 'cancel', 'nothing'] as const) {
    const title = `lets the process exit while a watched process lives on (ending: ${ending})`;
    void it(
      title,
      { skip: POLL_SYSCALLS === undefined && 'poll(2) numbers unknown' },
      async (t) => {
        const o = await orphan(t);
        const module = JSON.stringify(
          new URL('../../src/effects/exit/exit-watch.js', import.meta.url),
        );
        const script = `
        import { readdirSync, readFileSync } from 'node:fs';
        const { openExitWatcher } = await import(${module});
        const w = openExitWatcher();
        const watch = w.watch(${o.pid}, ${o.startTime}, () => console.log('exited?'));
        console.log(watch === undefined ? 'not watching' : 'watching');
        // Node joins its threads at exit: the case to try is a thread blocked in poll(2).
        const syscalls = ${JSON.stringify(POLL_SYSCALLS)};
        const inPoll = (task) => {
          try {
            const nr = readFileSync('/proc/self/task/' + task + '/syscall', 'utf8').split(' ')[0];
            return syscalls.includes(Number(nr));
          } catch {
            return false;
          }
        };
        while (!readdirSync('/proc/self/task').some(inPoll)) await new Promise((r) => setTimeout(r, 5));
        if ('${ending}' === 'close') await w.close();
        if ('${ending}' === 'cancel') watch.cancel();
      `;
        // A file, not `-e`: a worker inherits execArgv, and `--input-type` would fail its start.
        const dir = mkdtempSync(join(tmpdir(), 'warden-exit-watch-'));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        writeFileSync(join(dir, 'watch.mjs'), script);
        const r = await runProcess(process.execPath, [join(dir, 'watch.mjs')], {
          timeoutMs: 10_000,
        });
        assert.deepEqual(r, { code: 0, stdout: 'watching\n', stderr: '' });
        assert.equal(hasExited(o), false);
      },
    );
  }

  void it('without pidfd_open (ENOSYS), reads /proc every second instead', async (t) => {
    let opens = 0;
    const w = watcher(
      t,
      openExitWatcherWith({
        openPidfd: () => {
          opens++;
          throw new SyscallError('pidfd_open', constants.errno.ENOSYS);
        },
        workerUrl: new URL('data:text/javascript,throw new Error("no thread expected")'),
      }),
    );
    const [a, b, c] = await orphans(t, 3);
    assert.ok(a && b && c);
    const before = threadCount();
    assert.equal(
      w.watch(a.pid, a.startTime + 1, () => assert.fail('wrong start time')),
      undefined,
    );
    let calls = 0;
    assert.ok(w.watch(a.pid, a.startTime, () => calls++));
    const cancelled = w.watch(b.pid, b.startTime, () => assert.fail('cancelled'));
    assert.ok(cancelled);
    cancelled.cancel();
    assert.equal(opens, 1, 'ENOSYS is not asked again');
    assert.equal(threadCount(), before);
    kill(a);
    kill(b);
    await waitFor('onExit from the /proc poll', () => calls > 0, 5000);
    await waitFor('the cancelled process to end', () => hasExited(b));
    await barrier(t, w);
    assert.equal(calls, 1);
  });

  void it('hands its watches to the /proc poll when its thread dies', async (t) => {
    const w = watcher(
      t,
      openExitWatcherWith({
        openPidfd: pidfdOpen,
        workerUrl: new URL('data:text/javascript,throw new Error("the thread dies")'),
      }),
    );
    const o = await orphan(t);
    const baseline = openPidfds();
    let calls = 0;
    assert.ok(w.watch(o.pid, o.startTime, () => calls++));
    await waitFor('the pidfd to be closed', () => openPidfds() === baseline);
    kill(o);
    await waitFor('onExit from the /proc poll', () => calls > 0, 5000);
    await barrier(t, w);
    assert.equal(calls, 1);
  });
});

/** Runs `sh -c script` as a child and waits for its first line of output. */
async function startReading(script: string): Promise<{ child: ChildProcess; stdout: string }> {
  const child = execFile('/bin/sh', ['-c', script]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const line = await waitFor('a line from the shell', () => out.includes('\n') && out);
  return { child, stdout: line.trim() };
}
