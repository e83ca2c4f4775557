// state.json and adoption through the built CLI: a daemon killed with SIGKILL (or leaving with
// `down --keep-services`) leaves its services running, and the next `up` takes them back: same
// pids, their output read again from the same pipes. A recycled pid or an unusable state.json
// makes the new daemon start afresh without touching processes that are not provably its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it, type TestContext } from 'node:test';
import type { InstanceStatus } from '../../src/core/status.js';
import { readState, writeState, type DaemonState } from '../../src/daemon/state-file.js';
import { processesOfHome, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf, wardenCgroupOf, isAlive, statOf } from '../helpers/procs.js';

const MODES = ['cgroup', 'process-group'] as const;
type Mode = (typeof MODES)[number];

// Writes "n 1", "n 2"... every 50 ms; the last number also goes to NAME.count (before the line,
// so the file never runs behind the log). While the file `pause` exists it writes nothing and
// says so with NAME.paused.
const TALKER =
  'i=0; while :; do if [ -e pause ]; then : > "$WARDEN_SERVICE.paused"; else i=$((i+1)); ' +
  'echo $i > "$WARDEN_SERVICE.count"; echo "n $i"; fi; sleep 0.05; done';

function talker(name: string): string {
  return `  ${name}:\n    command: '${TALKER}'\n    min_uptime: 100ms\n`;
}

function sleeper(name: string): string {
  return `  ${name}:\n    command: [sleep, "600"]\n    min_uptime: 100ms\n`;
}

// Bytes of a damaged disk block: text, a NUL, invalid UTF-8, a terminal escape, line breaks.
const GARBAGE = Buffer.from('garbage\u0000\u00ff\u00fe\u001b[2J\n{\n', 'latin1');

/** One process: its pid and start time, which together never name another one. */
interface Proc {
  pid: number;
  startTime: string | undefined;
}

function procsOf(pids: Iterable<number | null>): Proc[] {
  return [...pids].flatMap((pid) => (pid === null ? [] : [{ pid, startTime: statOf(pid)?.[19] }]));
}

/** SIGKILLs `p` if it still runs (and its pid was not given to another process since). */
function killProc(p: Proc): void {
  if (p.startTime === undefined || statOf(p.pid)?.[19] !== p.startTime) return;
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    // just gone
  }
}

/** Every instance once all are running. */
async function allRunning(s: Sandbox, count: number): Promise<InstanceStatus[]> {
  return waitFor(`${count} instances running`, async () => {
    const r = await s.status();
    return (
      r.instances.length === count &&
      r.instances.every((i) => i.state === 'running' && i.pid !== null) &&
      r.instances
    );
  });
}

function pidMap(instances: InstanceStatus[]): Map<string, number | null> {
  return new Map(instances.map((i) => [i.name, i.pid]));
}

/** Starts a daemon in `mode` on `yaml`; false when the mode is not usable here. */
async function upIn(s: Sandbox, mode: Mode, yaml: string): Promise<boolean> {
  s.env.WARDEN_CONTAINMENT = mode;
  s.config(yaml);
  const up = await s.warden(['up', '--wait']);
  assert.equal(up.code, 0, up.stderr);
  return (await s.status()).daemon.containment === mode;
}

/** SIGKILLs the daemon of `s` and waits until it is gone. */
async function killDaemon(s: Sandbox): Promise<number> {
  const pid = daemonPidOf(s.home);
  process.kill(pid, 'SIGKILL');
  await waitFor(`daemon ${pid} gone`, () => !isAlive(pid));
  return pid;
}

function daemonLog(s: Sandbox): string {
  return readFileSync(join(s.home, 'warden.log'), 'utf8');
}

/** The counters of a talker's lines in its log file, in file order. */
function counters(s: Sandbox, name: string): number[] {
  const path = join(s.home, 'logs', `${name}.log`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const m = / (\S+) out \| n (\d+)$/.exec(line);
      return m !== null && m[1] === name ? [Number(m[2])] : [];
    });
}

/** The talker's own count of the lines it wrote (0 before the first). */
function written(s: Sandbox, name: string): number {
  try {
    return Number(readFileSync(join(s.dir, `${name}.count`), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** Asserts that a talker's log holds 1..N in order, none missing, none twice. */
function assertNoLineLost(s: Sandbox, name: string): void {
  const got = counters(s, name);
  const expected = Array.from({ length: got.length }, (_, i) => i + 1);
  assert.deepEqual(got, expected, `${name}: every line, in order`);
}

/** Removes the cgroups of `home` a daemon had to leave behind (busy then, empty now). */
async function removeCgroups(home: string): Promise<void> {
  const base = wardenCgroupOf(home);
  if (base === undefined || !existsSync(base)) return;
  await waitFor(`${base} removed`, () => {
    try {
      for (const e of readdirSync(base, { withFileTypes: true }))
        if (e.isDirectory()) rmdirSync(join(base, e.name));
      rmdirSync(base);
      return true;
    } catch {
      return false; // EBUSY until the killed processes have left
    }
  });
}

void describe('adoption', () => {
  let s: Sandbox;
  /** Processes a test started or left without a daemon; killed after it. */
  let strays: Proc[] = [];
  afterEach(async () => {
    for (const p of strays) killProc(p);
    strays = [];
    await s.cleanup();
    await removeCgroups(s.home);
  });

  for (const mode of MODES) {
    void it(`${mode}: after kill -9 of the daemon, up takes all 10 services back`, async (t) => {
      s = sandbox();
      const talkers = ['t0', 't1', 't2', 't3'];
      const sleepers = ['s0', 's1', 's2', 's3', 's4', 's5'];
      const yaml = `services:\n${talkers.map(talker).join('')}${sleepers.map(sleeper).join('')}`;
      if (!(await upIn(s, mode, yaml))) return t.skip(`${mode} containment is not usable here`);
      const before = pidMap(await allRunning(s, 10));
      await waitFor('every talker logging', () => talkers.every((n) => counters(s, n).length > 2));
      // Pause the talkers until the daemon has written all they said: a line the daemon read
      // but had not yet written when killed dies with it, and that is not what is tested here.
      writeFileSync(join(s.dir, 'pause'), '');
      await waitFor('the talkers paused and their lines written', () =>
        talkers.every(
          (n) => existsSync(join(s.dir, `${n}.paused`)) && counters(s, n).at(-1) === written(s, n),
        ),
      );

      const daemon = await killDaemon(s);
      strays = procsOf(before.values());
      for (const [name, pid] of before) assert.ok(pid !== null && isAlive(pid), `${name} runs on`);
      const saved = await readState(join(s.home, 'state.json'));
      assert.equal(saved.kind, 'ok', 'state.json is whole');
      if (saved.kind === 'ok') {
        assert.equal(saved.state.daemonPid, daemon);
        const recorded = saved.state.services.flatMap((x) => x.instances);
        assert.deepEqual(new Map(recorded.map((i) => [i.name, i.process?.pid ?? null])), before);
      }
      // The talkers go on while no daemon runs; their lines wait in the pipes.
      const atKill = new Map(talkers.map((n) => [n, written(s, n)]));
      rmSync(join(s.dir, 'pause'));
      await waitFor('5 lines written by each talker while no daemon ran', () =>
        talkers.every((n) => written(s, n) >= (atKill.get(n) ?? 0) + 5),
      );
      const whileDown = new Map(talkers.map((n) => [n, written(s, n)]));

      const up = await s.warden(['up']);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /started nothing \(all were running\)/);
      const after = await allRunning(s, 10);
      assert.deepEqual(pidMap(after), before, 'the same pids');
      for (const i of after) {
        assert.equal(i.restarts, 0, `${i.name} restarts`);
        assert.equal(i.lastExit, null, `${i.name} lastExit`);
      }
      assert.match(daemonLog(s), /adopted 10, gone while no daemon ran 0/);
      for (const n of talkers) {
        const mark = (whileDown.get(n) ?? 0) + 3;
        await waitFor(`${n} logging again (line ${mark})`, () => counters(s, n).includes(mark));
        assertNoLineLost(s, n);
      }

      // An adopted process is watched: killed, it is noticed and restarted.
      const s0 = before.get('s0') ?? 0;
      process.kill(s0, 'SIGKILL');
      const back = await waitFor('s0 running again', async () => {
        const i = (await s.status()).instances.find((x) => x.name === 's0');
        return i !== undefined && i.state === 'running' && i.pid !== s0 && i;
      });
      assert.equal(back.restarts, 1);
      assert.deepEqual(back.lastExit, { unknown: 'adopted: not a child of this daemon' });
    });
  }

  void it('down --keep-services leaves the services to the next up', async () => {
    s = sandbox();
    s.config(`services:\n${talker('t0')}${sleeper('s0')}${sleeper('s1')}`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const before = pidMap(await allRunning(s, 3));
    await waitFor('t0 logging', () => counters(s, 't0').length > 2);
    const daemon = daemonPidOf(s.home);
    const down = await s.warden(['down', '--keep-services']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /daemon \d+ exited; 3 instance\(s\) left running/);
    strays = procsOf(before.values());
    await waitFor('the daemon gone', () => !isAlive(daemon));
    for (const [name, pid] of before) assert.ok(pid !== null && isAlive(pid), `${name} runs on`);
    assert.equal((await s.warden(['status'])).code, 3, 'no daemon');
    const mark = written(s, 't0') + 5;
    await waitFor('t0 writing while no daemon runs', () => written(s, 't0') >= mark);

    const up = await s.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    const after = await allRunning(s, 3);
    assert.deepEqual(pidMap(after), before, 'the same pids');
    for (const i of after) assert.equal(i.restarts, 0);
    // A graceful handover loses no line: what the old daemon read it wrote, the rest waited.
    await waitFor('t0 logging again', () => counters(s, 't0').includes(mark + 3));
    assertNoLineLost(s, 't0');
  });

  for (const mode of MODES) {
    void it(`${mode}: a recycled pid in state.json is neither adopted nor killed`, async (t) => {
      s = sandbox();
      if (!(await upIn(s, mode, `services:\n${sleeper('keep')}${sleeper('lost')}`)))
        return t.skip(`${mode} containment is not usable here`);
      const before = pidMap(await allRunning(s, 2));
      const keep = before.get('keep') ?? 0;
      const lost = before.get('lost') ?? 0;
      await killDaemon(s);
      strays = procsOf([keep]);
      process.kill(lost, 'SIGKILL');
      await waitFor('lost gone', () => !isAlive(lost));
      // An unrelated program, leader of its own session and group, as a daemon would be.
      const env = { ...s.env };
      delete env.WARDEN_HOME;
      delete env.WARDEN_CONTAINMENT;
      const other = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore', env });
      assert.ok(other.pid !== undefined, 'sleep started');
      const otherPid = other.pid;
      strays.push(...procsOf([otherPid]));
      await recycle(join(s.home, 'state.json'), 'lost', otherPid);

      const up = await s.warden(['up']);
      assert.equal(up.code, 0, up.stderr);
      assert.match(daemonLog(s), /adopted 1, gone while no daemon ran 1/);
      const fresh = await waitFor('lost running with a new process', async () => {
        const i = (await s.status()).instances.find((x) => x.name === 'lost');
        return i?.state === 'running' && i.pid !== null && i.pid !== otherPid && i.pid;
      });
      assert.notEqual(fresh, lost);
      assert.ok(isAlive(otherPid), `the unrelated process ${otherPid} is alive`);
      const report = await s.status();
      assert.deepEqual(report.instances.find((i) => i.name === 'lost')?.lastExit, {
        unknown: 'ended while no daemon ran',
      });
      assert.equal(pidMap(report.instances).get('keep'), keep, 'keep was adopted');
      // Still untouched once the daemon has stopped the service it really runs.
      const stop = await s.warden(['stop', 'lost']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(isAlive(otherPid), `the unrelated process ${otherPid} is alive after stop`);
    });
  }

  for (const mode of MODES) {
    for (const damage of ['truncated', 'garbage'] as const) {
      void it(`${mode}: a ${damage} state.json: up takes the running processes back, no duplicate`, async (t) => {
        await assertTakesBack(t, mode, damage);
      });
    }
  }

  // Kills the daemon, damages state.json, then `up`: the processes found in the system (their
  // leaf, or their marker naming this home) are taken back; nothing starts beside them.
  async function assertTakesBack(
    t: TestContext,
    mode: Mode,
    damage: 'truncated' | 'garbage',
  ): Promise<void> {
    s = sandbox();
    if (!(await upIn(s, mode, `services:\n${sleeper('a')}${sleeper('b')}`)))
      return t.skip(`${mode} containment is not usable here`);
    const old = pidMap(await allRunning(s, 2));
    await killDaemon(s);
    strays = procsOf(old.values());
    const path = join(s.home, 'state.json');
    const text = readFileSync(path);
    writeFileSync(path, damage === 'truncated' ? text.subarray(0, text.length >> 1) : GARBAGE);

    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(daemonLog(s), /state\.json unusable \([^]*?\); kept as /);
    assert.ok(existsSync(`${path}.corrupt`), 'the unusable file is kept beside');
    const now = pidMap(await allRunning(s, 2));
    assert.deepEqual(now, old, 'the same processes, taken back');
    assert.deepEqual(
      processesOfHome(s.home).sort((x, y) => x - y),
      [...old.values(), daemonPidOf(s.home)].sort((x, y) => (x ?? 0) - (y ?? 0)),
      'no process started beside them',
    );
    const stop = await s.warden(['stop', 'all']);
    assert.equal(stop.code, 0, stop.stderr);
    await waitFor('the old processes stopped', () =>
      [...old.values()].every((pid) => pid === null || !isAlive(pid)),
    );
    // warden.log keeps one event per line: the file's bytes do not reach it raw.
    const line = daemonLog(s)
      .split('\n')
      .find((l) => l.includes('state.json unusable'));
    assert.match(line ?? '', /^\S+Z state\.json unusable \(.*\); kept as /);
    const control = [...(line ?? '')].filter((c) => c < ' ' || c === '\u007f');
    assert.deepEqual(control, [], 'no control character in the line');
  }
});

/** Rewrites the record of `instance` in state.json to name `pid` (checksum recomputed). */
async function recycle(path: string, instance: string, pid: number): Promise<void> {
  const { checksum: _, ...state } = JSON.parse(readFileSync(path, 'utf8')) as DaemonState & {
    checksum: string;
  };
  let found = false;
  for (const svc of state.services)
    for (const i of svc.instances) {
      if (i.name !== instance || i.process === null || !('pid' in i.current)) continue;
      i.process.pid = pid;
      i.current.pid = pid;
      found = true;
    }
  assert.ok(found, `${instance} has a process in state.json`);
  await writeState(path, state);
  assert.equal((await readState(path)).kind, 'ok', 'the rewritten file is valid');
}
