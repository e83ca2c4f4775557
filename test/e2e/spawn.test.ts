// spawnInstance with real processes: what a service starts with (session, signals, fds, cwd,
// env), how it ended (waitid: code, signal), spawn failures as errno names, and a start inside a
// cgroup both ways (warden-spawner's clone3, and the sh wrapper).
import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { LastExit, SpawnFailure } from '../../src/core/exit.js';
import {
  CgroupStarter,
  type CgroupStart,
} from '../../src/effects/containment/cgroup/cgroup-start.js';
import { parseExecReport, readReport } from '../../src/effects/spawn/exec-report.js';
import { detectCgroup, removeCgroupTree } from '../../src/effects/containment/cgroup/cgroup.js';
import { CgroupTree } from '../../src/effects/containment/cgroup/cgroup-tree.js';
import { WARDEN_SPAWNER } from '../../src/effects/containment/cgroup/spawner.js';
import { makePipe } from '../../src/effects/ffi/fds.js';
import { readOutput } from '../../src/effects/spawn/output-reader.js';
import { reopenOutputPipes } from '../../src/effects/spawn/output-pipes.js';
import {
  outputPipesOf,
  spawnInstance,
  type ServiceProcess,
  type SpawnRequest,
} from '../../src/effects/spawn/spawn.js';
import { waitFor } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-spawn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const started: ServiceProcess[] = [];
after(() => {
  for (const p of started) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function request(over: Partial<SpawnRequest> = {}): SpawnRequest {
  return {
    command: { kind: 'shell', script: 'exit 0' },
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ONLY: 'this' },
    ...over,
  };
}

function spawned(req: SpawnRequest): ServiceProcess {
  const p = spawnInstance(req);
  assert.ok(!('spawnError' in p), `spawned: ${JSON.stringify(p)}`);
  started.push(p);
  return p;
}

function failure(req: SpawnRequest): SpawnFailure {
  const p = spawnInstance(req);
  assert.ok('spawnError' in p, 'the spawn failed');
  return p;
}

function ended(p: ServiceProcess): Promise<LastExit> {
  return new Promise((resolve) => p.once('exit', resolve));
}

// The whole output of a stdout or stderr pipe (read as the daemon reads them), until EOF.
function readAll(stream: Readable | null): Promise<string> {
  assert.ok(stream !== null);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const capture = {
      push: (chunk: Buffer) => void chunks.push(Buffer.from(chunk)),
      end: () => resolve(Buffer.concat(chunks).toString()),
      room: () => undefined,
    };
    readOutput(stream, capture, reject);
  });
}

void describe('spawnInstance', () => {
  void it('starts in its own session with default signals, only its fds, its cwd and env', async () => {
    const p = spawned(request({ command: { kind: 'argv', argv: ['sleep', '30'] } }));
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    const [, , pgid, sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.deepEqual([Number(sid), Number(pgid)], [p.pid, p.pid], 'its own session and group');
    const status = readFileSync(`/proc/${p.pid}/status`, 'utf8');
    assert.match(status, /^SigBlk:\s+0+$/m, 'no signal blocked');
    assert.match(status, /^SigIgn:\s+0+$/m, 'none ignored (Node ignores SIGPIPE; glibc 32, 33)');
    assert.deepEqual(readdirSync(`/proc/${p.pid}/fd`).sort(), ['0', '1', '2']);
    assert.equal(readlinkSync(`/proc/${p.pid}/fd/0`), '/dev/null');
    assert.equal(readlinkSync(`/proc/${p.pid}/cwd`), dir);
    // posix_spawn returns once the exec began; the new image's environment shows a moment later.
    const environ = (): string[] =>
      readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const env = await waitFor('the environment in /proc', () => environ().length > 0 && environ());
    assert.deepEqual(env.sort(), ['ONLY=this', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`]);
    const exit = ended(p);
    process.kill(p.pid, 'SIGKILL');
    assert.deepEqual(await exit, { signal: 'SIGKILL', coreDumped: false });
  });

  void it('gives a ready.fd pipe at the asked fd and closes the gaps', async () => {
    const p = spawned(
      request({
        command: { kind: 'shell', script: 'echo ready >&5; exec sleep 30' },
        pipes: [5],
      }),
    );
    const note = await new Promise<string>((resolve) =>
      (p.stdio[5] as Readable).once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    assert.equal(note, 'ready\n');
    // The shell holds fds of its own (a saved copy of fd 1 while it writes `>&5`; close-on-exec
    // ones until its exec of sleep has closed them): wait, with a deadline, for exactly these.
    const fds = (): string => readdirSync(`/proc/${p.pid}/fd`).sort().join(' ');
    await waitFor('fds 0 1 2 5', () => fds() === '0 1 2 5', 5000);
    const exit = ended(p);
    process.kill(p.pid, 'SIGKILL');
    await exit;
    (p.stdio[5] as Readable).destroy();
  });

  void it('finds its output pipes again at any fd (a later daemon adopting it)', async () => {
    // The shell keeps stdout at fd 7 while fd 1 points elsewhere, as `cmd > file` does a moment.
    const p = spawned(
      request({
        command: { kind: 'shell', script: 'exec 7>&1 >/dev/null; exec sleep 30' },
      }),
    );
    const pipes = outputPipesOf(p);
    assert.ok(pipes !== undefined);
    await waitFor('stdout moved to fd 7', () => {
      try {
        return readlinkSync(`/proc/${p.pid}/fd/7`) === `pipe:[${pipes.stdout}]`;
      } catch {
        return false;
      }
    });
    const again = reopenOutputPipes(p.pid, pipes);
    assert.ok(again.stdout !== undefined, 'stdout found at fd 7');
    assert.ok(again.stderr !== undefined, 'stderr found at fd 2');
    again.stdout.destroy();
    again.stderr.destroy();
    const gone = reopenOutputPipes(p.pid, { stdout: 1, stderr: 2 });
    assert.deepEqual(gone, { stdout: undefined, stderr: undefined }, 'other pipes are not taken');
    const exit = ended(p);
    process.kill(p.pid, 'SIGKILL');
    await exit;
  });

  void it('reports exits by code and by signal, as waitid tells them', async () => {
    const code = spawned(request({ command: { kind: 'shell', script: 'exit 3' } }));
    assert.deepEqual(await ended(code), { code: 3 });
    const killed = spawned(request({ command: { kind: 'argv', argv: ['sleep', '60'] } }));
    const status = ended(killed);
    process.kill(killed.pid, 'SIGTERM');
    assert.deepEqual(await status, { signal: 'SIGTERM', coreDumped: false });
  });

  void it('says ENOENT, EACCES and ENOTDIR, and starts nothing', () => {
    assert.equal(
      failure(request({ command: { kind: 'argv', argv: ['no-such-program-here'] } })).spawnError,
      'ENOENT',
    );
    const plain = join(dir, 'plain.txt');
    writeFileSync(plain, 'not a program\n');
    assert.equal(
      failure(request({ command: { kind: 'argv', argv: [plain] } })).spawnError,
      'EACCES',
    );
    const cwd = failure(request({ cwd: join(plain, 'sub') }));
    assert.equal(cwd.spawnError, 'ENOTDIR');
    assert.equal(cwd.path, join(plain, 'sub'));
    assert.equal(
      failure(request({ command: { kind: 'argv', argv: ['echo', 'a\0b'] } })).spawnError,
      'EINVAL',
    );
  });

  void it('runs a script without #! under /bin/sh, as execvp does', async () => {
    const script = join(dir, 'no-shebang');
    writeFileSync(script, 'echo "from script $1"\n');
    chmodSync(script, 0o755);
    const p = spawned(request({ command: { kind: 'argv', argv: ['./no-shebang', 'x'] } }));
    const [out, status] = await Promise.all([readAll(p.stdout), ended(p)]);
    assert.equal(out, 'from script x\n');
    assert.deepEqual(status, { code: 0 });
  });
});

// The starter of these tests' cgroup starts (a containment owns one in the daemon).
const starter = new CgroupStarter();
const detected =
  process.getuid?.() === 0 ? detectCgroup(`warden-spawn-test-${process.pid}`, starter) : undefined;
const cgroupSkip =
  detected === undefined
    ? 'needs root'
    : detected.ok
      ? false
      : `cgroups unusable: ${detected.reason}`;

const hasHelper = existsSync(WARDEN_SPAWNER);

// 'alive', 'zombie' or 'gone' for a pid.
function readProcState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? 'zombie' : 'alive';
  } catch {
    return 'gone';
  }
}

// Runs a shell that prints its cgroup, its parent and the length of $BIG0 in the leaf `leaf`
// (CgroupStarter.spawn, the way an instance starts), and reads what it printed.
function runInLeaf(
  leaf: string,
  env: Record<string, string>,
): { started: CgroupStart; text: string } {
  const [read, write] = makePipe();
  let started: CgroupStart;
  try {
    const argv = ['sh', '-c', 'cat /proc/self/cgroup; echo ppid $PPID; echo big ${#BIG0}'];
    const fds = new Map([[1, write]]);
    started = starter.spawn({ path: '/bin/sh', argv, env, cwd: '/', fds }, leaf);
  } finally {
    closeSync(write);
  }
  const text = readFileSync(read, 'utf8');
  closeSync(read);
  if (started.report !== undefined) closeSync(started.report);
  return { started, text };
}

void describe('CgroupStarter', { skip: cgroupSkip }, () => {
  const base = detected?.ok === true ? detected.cgroup.base : '';
  // A leaf of this test's starter.
  const inLeaf = (path: string): { path: string; starter: CgroupStarter } => ({ path, starter });
  after(async () => {
    await starter.close();
    await removeCgroupTree(base);
  });

  void it('an exec that fails after the fork is a spawn failure with its errno, not exit 127', async (t) => {
    if (!hasHelper) return t.skip('warden-spawner was not built (no C compiler)');
    const script = join(dir, 'bad-interpreter');
    writeFileSync(script, '#!/nonexistent/interpreter\n');
    chmodSync(script, 0o755);
    const leaf = join(base, 'late');
    mkdirSync(leaf);
    const p = spawned(request({ command: { kind: 'argv', argv: [script] }, cgroup: inLeaf(leaf) }));
    const end = await ended(p);
    assert.ok('spawnError' in end, `a spawn failure: ${JSON.stringify(end)}`);
    assert.equal(end.spawnError, 'ENOENT');
    assert.equal(end.path, script);
  });

  void it('holds no fd for the exec report once the exec happened: two pipes for the instance', async (t) => {
    if (!hasHelper) return t.skip('the helpers were not built (no C compiler)');
    const pipes = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:');
        } catch {
          return false; // readdir's own fd, closed since
        }
      }).length;
    const leaf = join(base, 'report-fd');
    mkdirSync(leaf);
    const before = pipes();
    const p = spawned(
      request({ command: { kind: 'argv', argv: ['sleep', '600'] }, cgroup: inLeaf(leaf) }),
    );
    // The report's read end (a third pipe) goes a sweep after the exec, long before the end.
    await waitFor('only stdout and stderr left', () => pipes() === before + 2);
    assert.equal(readProcState(p.pid), 'alive');
    process.kill(p.pid, 'SIGKILL');
    assert.deepEqual(await ended(p), { signal: 'SIGKILL', coreDumped: false });
  });

  void it('warden-spawner: a failed exec leaves its errno on the report', async (t) => {
    if (!hasHelper) return t.skip('warden-spawner was not built (no C compiler)');
    const leaf = join(base, 'report-auto');
    mkdirSync(leaf);
    const script = join(dir, 'bad-auto');
    writeFileSync(script, '#!/nonexistent/interpreter\n');
    chmodSync(script, 0o755);
    const [read, write] = makePipe();
    const fds = new Map([[1, write]]);
    let started;
    try {
      started = starter.spawn({ path: script, argv: [script], env: {}, cwd: '/', fds }, leaf);
    } finally {
      closeSync(write);
    }
    closeSync(read);
    const { pid, report, reported = '' } = started;
    assert.ok(report !== undefined);
    await waitFor('the process ended', () => readProcState(pid) !== 'alive');
    // Its line may have come before the pid (then it was read with it).
    assert.equal(parseExecReport(reported + readReport(report).text)?.code, 'ENOENT');
    closeSync(report);
  });

  void it('a request too large for the server starts through the sh wrapper, in the leaf', (t) => {
    if (!hasHelper) return t.skip('warden-spawner was not built (no C compiler)');
    const leaf = join(base, 'large');
    mkdirSync(leaf);
    // 400 KB of environment: over the socket's send buffer (EMSGSIZE), under execve's limits.
    const env: Record<string, string> = { PATH: '/usr/bin:/bin' };
    for (let i = 0; i < 4; i++) env[`BIG${i}`] = 'x'.repeat(100_000);
    const out = runInLeaf(leaf, env);
    assert.equal(out.started.report, undefined, 'no report: the wrapper execs in place');
    assert.match(out.text, /^0::\/.*\/large$/m, 'in the leaf from the start');
    assert.match(out.text, new RegExp(`^ppid ${process.pid}$`, 'm'), 'the caller is its parent');
    assert.match(out.text, /^big 100000$/m, 'with its whole environment');
  });

  void it('a leaf emptied by cgroup.kill is made anew before the next start (Linux kills clones into it)', async (t) => {
    if (!hasHelper) return t.skip('the helpers were not built (no C compiler)');
    const tree = new CgroupTree(base, 'killed', starter);
    const req = tree.prepare(request({ command: { kind: 'argv', argv: ['sleep', '30'] } }));
    assert.ok(!('spawnError' in req));
    const p = spawned(req);
    tree.attach();
    const exit = ended(p);
    assert.equal(tree.signal('SIGKILL'), true);
    assert.deepEqual(await exit, { signal: 'SIGKILL', coreDumped: false });
    await waitFor('the leaf empty', () => tree.isEmpty());
    const again = tree.prepare(request({ command: { kind: 'argv', argv: ['sleep', '0.3'] } }));
    assert.ok(!('spawnError' in again));
    const q = spawned(again);
    assert.deepEqual(await ended(q), { code: 0 }, 'not SIGKILLed at birth');
    starter.kill(join(base, 'unused')); // marks only
    assert.equal(starter.takeKilled(join(base, 'unused')), true);
    assert.equal(starter.takeKilled(join(base, 'unused')), false, 'once');
  });

  for (const how of ['auto', 'wrapper'] as const) {
    void it(`${{ auto: 'warden-spawner', wrapper: 'the sh wrapper' }[how]}: born in the leaf, a child of the caller`, (t) => {
      if (how !== 'wrapper' && !hasHelper)
        return t.skip('the helpers were not built (no C compiler)');
      const leaf = join(base, how);
      mkdirSync(leaf);
      const [read, write] = makePipe();
      try {
        starter.spawn(
          {
            path: '/bin/sh',
            argv: ['sh', '-c', 'cat /proc/self/cgroup; echo ppid $PPID'],
            env: { PATH: '/usr/bin:/bin' },
            cwd: '/',
            fds: new Map([[1, write]]),
          },
          leaf,
          how,
        );
      } finally {
        closeSync(write);
      }
      // Reaped by the reaper that the spawns above started (the SIGCHLD listener).
      const out = readFileSync(read, 'utf8');
      closeSync(read);
      assert.match(out, new RegExp(`^0::/.*/${how}$`, 'm'), 'in the leaf from the start');
      assert.match(out, new RegExp(`^ppid ${process.pid}$`, 'm'), 'the caller is its parent');
    });
  }
  // Last: it closes the server for good, and later starts would go through the wrapper.
  void it('a fork server that dies is started again; closing it leaves no process', async (t) => {
    if (!hasHelper) return t.skip('the helpers were not built (no C compiler)');
    const leaf = join(base, 'server');
    mkdirSync(leaf);
    const once = async (): Promise<void> => {
      const p = spawned(
        request({ command: { kind: 'argv', argv: ['true'] }, cgroup: inLeaf(leaf) }),
      );
      assert.deepEqual(await ended(p), { code: 0 });
    };
    await once();
    const first = starter.serverPid;
    assert.ok(first !== undefined, 'the server runs');
    process.kill(first, 'SIGKILL');
    await waitFor('the server gone', () => readProcState(first) !== 'alive');
    // This start finds it dead: the leaf is killed (it may hold what the server forked) and the
    // start is refused as transient, to be retried after the leaf is made anew.
    const refused = spawnInstance(
      request({ command: { kind: 'argv', argv: ['true'] }, cgroup: inLeaf(leaf) }),
    );
    assert.ok('spawnError' in refused && refused.spawnError === 'EAGAIN', JSON.stringify(refused));
    assert.ok(starter.takeKilled(leaf), 'the leaf is marked for making anew');
    const fresh = join(base, 'server-again');
    mkdirSync(fresh);
    const p = spawned(
      request({ command: { kind: 'argv', argv: ['true'] }, cgroup: inLeaf(fresh) }),
    );
    assert.deepEqual(await ended(p), { code: 0 }, 'a new server started it');
    const second = starter.serverPid;
    assert.ok(second !== undefined && second !== first, 'a new server');
    await starter.close();
    assert.equal(starter.serverPid, undefined);
    assert.notEqual(readProcState(second), 'alive', 'the server exited and was reaped');
    // With the server down for good, starts go through the sh wrapper, still in their leaf.
    const down = join(base, 'server-down');
    mkdirSync(down);
    const out = runInLeaf(down, { PATH: '/usr/bin:/bin' });
    assert.equal(out.started.report, undefined, 'no report: the wrapper execs in place');
    assert.match(out.text, /^0::\/.*\/server-down$/m, 'in the leaf from the start');
    assert.equal(starter.serverPid, undefined, 'no server started again');
  });
});
