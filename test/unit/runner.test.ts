// The Runner with virtual time and fake processes: effects carried out in order, timers armed and
// cancelled, output captured, spawn failures of both kinds; no real process and no real sleep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceSpec } from '../../src/config/types.js';
import type { SpawnFailure } from '../../src/core/exit.js';
import type { SignalName } from '../../src/core/signals.js';
import type { SpawnRequest } from '../../src/effects/spawn/spawn.js';
import { lineSink } from '../../src/logs/service-log.js';
import { Runner } from '../../src/runtime/runner/runner.js';
import type { SpawnPace } from '../../src/runtime/spawn-pacer.js';
import { KILL_GRACE_MS } from '../../src/core/transition.js';
import { fakeTree, makeSpec } from '../helpers/core-fixtures.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeChild } from '../helpers/fake-child.js';

/** A main process as far as the Runner looks at it. */
type SpawnResult = FakeChild | SpawnFailure;

/** A Runner wired to a FakeClock and a fake ProcessLayer that records everything. */
function setup(
  over: Partial<ServiceSpec> = {},
  spawn?: (n: number) => SpawnResult,
  index = 0,
  pace?: SpawnPace,
) {
  const clock = new FakeClock();
  const children: FakeChild[] = [];
  const requests: SpawnRequest[] = [];
  const signals: [number, SignalName][] = [];
  const states: string[] = [];
  const reasons: string[] = [];
  const errors: string[] = [];
  const lines: string[] = [];
  let signalError: Error | undefined;
  const runner = new Runner({
    spec: makeSpec(over),
    index,
    clock,
    baseEnv: { PATH: '/usr/bin', NOTIFY_SOCKET: '/run/systemd/notify', UNSET: undefined },
    processes: {
      spawn(req) {
        requests.push(req);
        const made = spawn?.(requests.length) ?? new FakeChild(1000 + requests.length);
        if (made instanceof FakeChild) children.push(made);
        return made;
      },
      // A tree that empties as soon as its main process is gone, recording each signal.
      tree: () => {
        let main = 0;
        return fakeTree({
          attach: (pid) => void (main = pid),
          signal(signal) {
            if (signalError !== undefined) throw signalError;
            signals.push([main, signal]);
            return true;
          },
        });
      },
    },
    sink: lineSink(
      (time, instance, stream, line) => lines.push(`${time} ${instance} ${stream} ${line}`),
      () => clock.now(),
    ),
    onTransition: (r, from, reason) => {
      states.push(r.model.current.state);
      reasons.push(`${from.state}→${r.model.current.state}: ${reason}`);
    },
    onError: (_r, message) => errors.push(message),
    ...(pace === undefined ? {} : { pace }),
  });
  const child = (i = children.length - 1): FakeChild => {
    const c = children[i];
    assert.ok(c, `no child #${i}`);
    return c;
  };
  const failSignals = (e: Error) => (signalError = e);
  // Functions, so that assertions do not narrow the state for the rest of a test.
  const current = () => runner.model.current;
  const state = () => runner.model.current.state;
  return {
    runner,
    clock,
    children,
    child,
    requests,
    signals,
    states,
    reasons,
    errors,
    lines,
    failSignals,
    current,
    state,
  };
}

/** Lets stream events queued on the real event loop run (not a sleep: one turn). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

void describe('Runner: a full life with virtual time', () => {
  void it('spawn → running → exit → backoff → respawn', () => {
    const h = setup();
    h.runner.dispatch({ type: 'start' });
    assert.deepEqual(h.current(), {
      state: 'starting',
      since: h.clock.now(),
      pid: 1001,
    });
    assert.equal(h.clock.pending, 1, 'the uptime timer');
    h.clock.advance(499);
    assert.equal(h.state(), 'starting');
    h.clock.advance(1);
    assert.equal(h.state(), 'running');

    h.clock.advance(100);
    h.child().die(1);
    assert.equal(h.state(), 'backoff');
    assert.deepEqual(
      h.signals,
      [
        [1001, 'SIGTERM'],
        [1001, 'SIGCONT'],
      ],
      'the rest of the tree got the stop signal, and SIGCONT in case it was stopped',
    );
    assert.equal(h.clock.pending, 1, 'only the backoff timer: kill and reset were cleared');
    assert.deepEqual(h.runner.status().lastExit, { code: 1 });
    assert.equal(h.runner.status().nextRestartAt, h.clock.now() + 100);

    h.clock.advance(99);
    assert.equal(h.requests.length, 1);
    h.clock.advance(1);
    assert.equal(h.requests.length, 2);
    assert.deepEqual(h.current(), {
      state: 'starting',
      since: h.clock.now(),
      pid: 1002,
    });
    assert.equal(h.runner.model.restarts, 1);
    assert.deepEqual(h.states, ['starting', 'running', 'stopping', 'backoff', 'starting']);
    assert.deepEqual(h.reasons, [
      'stopped→starting: started by user',
      'starting→running: up for min_uptime (500ms)',
      'running→stopping: exit 1',
      'stopping→backoff: exit 1; restart in 100ms',
      'backoff→starting: automatic restart #1',
    ]);
    assert.deepEqual(h.errors, []);
  });

  void it('spawns with the spec command, cwd and instance env', () => {
    const h = setup({ instances: 2 }, undefined, 1);
    assert.equal(h.runner.name, 'web:1');
    h.runner.dispatch({ type: 'start' });
    assert.deepEqual(h.requests, [
      {
        command: { kind: 'argv', argv: ['/usr/bin/app', '--port', '80'] },
        cwd: '/srv/web',
        env: { PATH: '/usr/bin', MODE: 'test', WARDEN_SERVICE: 'web', WARDEN_INSTANCE: '1' },
        pipes: [],
      },
    ]);
  });

  void it('a clean exit under on-failure ends in exited with nothing pending', () => {
    const h = setup({ restart: 'on-failure', minUptimeMs: 0 });
    h.runner.dispatch({ type: 'start' });
    assert.equal(h.state(), 'running');
    h.child().die(0);
    assert.equal(h.state(), 'exited');
    assert.equal(h.clock.pending, 0);
  });

  void it('decodes a signal death with the core limit', () => {
    const h = setup({ restart: 'never' });
    h.runner.dispatch({ type: 'start' });
    h.child().die(null, 'SIGSEGV', true);
    assert.deepEqual(h.runner.status().lastExit, { signal: 'SIGSEGV', coreDumped: true });
    assert.equal(h.runner.status().state, 'exited');
  });

  void it('the reset timer clears the failure count after reset_after of running', () => {
    const h = setup({ minUptimeMs: 0 });
    h.runner.dispatch({ type: 'start' });
    for (let i = 0; i < 3; i++) {
      h.child().die(1);
      h.clock.advanceToNext();
    }
    assert.equal(h.runner.model.consecutiveFailures, 3);
    h.clock.advance(5000);
    assert.equal(h.runner.model.consecutiveFailures, 0);
    assert.equal(h.runner.model.restarts, 3);
    h.child().die(1);
    const s = h.current();
    assert.equal(s.state === 'backoff' && s.restartAt - h.clock.now(), 100);
  });
});

void describe('Runner: output capture', () => {
  void it('stderr lines reach status().lastStderr once the instance is down', async () => {
    const h = setup({ restart: 'never' });
    h.runner.dispatch({ type: 'start' });
    h.child().stdout.write('listening on 80\n');
    h.child().stderr.write('warn: low memory\npanic: ');
    h.child().stderr.write('out of memory\n');
    await turn();
    assert.deepEqual(h.runner.status().lastStderr, [], 'hidden while starting');
    h.child().die(2);
    assert.deepEqual(h.runner.status().lastStderr, ['warn: low memory', 'panic: out of memory']);
    assert.equal(h.runner.status().state, 'exited');
    const t = h.clock.now();
    assert.deepEqual(h.lines, [
      `${t} web out listening on 80`,
      `${t} web err warn: low memory`,
      `${t} web err panic: out of memory`,
    ]);
  });

  void it('keeps only the last 10 stderr lines across restarts', async () => {
    const h = setup({ restart: 'always' });
    h.runner.dispatch({ type: 'start' });
    for (let i = 0; i < 12; i++) h.child().stderr.write(`line ${i}\n`);
    await turn();
    h.child().die(1);
    const kept = h.runner.status().lastStderr;
    assert.equal(kept.length, 10);
    assert.equal(kept[0], 'line 2');
    assert.equal(kept[9], 'line 11');
  });

  void it('picks the telling stderr lines of the last run only, while the raw tail spans runs', async () => {
    const h = setup({ restart: 'always' });
    h.runner.dispatch({ type: 'start' });
    h.child().stderr.write('Error: listen EADDRINUSE: address already in use 127.0.0.1:3900\n');
    h.child().stderr.write(
      '    at Server.setupListenHandle (node:net:1908:16)\n}\n\nNode.js v20.20.2\n',
    );
    await turn();
    assert.deepEqual(h.runner.status().stderrSummary, [], 'hidden while starting');
    h.child().die(1);
    assert.deepEqual(h.runner.status().stderrSummary, [
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:3900',
    ]);
    h.clock.advanceToNext();
    h.child().stderr.write('second run: bye\n');
    await turn();
    h.child().die(1);
    assert.deepEqual(h.runner.status().stderrSummary, ['second run: bye']);
    assert.equal(h.runner.status().lastStderr.at(0)?.startsWith('Error: listen'), true);
  });
});

void describe('Runner: until', () => {
  void it('resolves at once when already true, and after the transition that makes it true', async () => {
    const h = setup({ minUptimeMs: 0 });
    await h.runner.until((m) => m.current.state === 'stopped');
    let done = false;
    const waiting = h.runner.until((m) => m.current.state === 'backoff').then(() => (done = true));
    h.runner.dispatch({ type: 'start' });
    await turn();
    assert.equal(done, false);
    h.child().die(1);
    await waiting;
    assert.equal(done, true);
  });
});

void describe('Runner: spawn failures', () => {
  void it('a SpawnFailure returned by spawn → failed, nothing pending', () => {
    const error = {
      spawnError: 'ENOENT',
      path: '/srv/gone',
      message: 'cannot use cwd /srv/gone: ENOENT',
    };
    const h = setup({}, () => error);
    h.runner.dispatch({ type: 'start' });
    assert.deepEqual(h.current(), {
      state: 'failed',
      since: h.clock.now(),
      reason: { kind: 'spawn-error', error },
    });
    const status = h.runner.status();
    assert.deepEqual(status.lastExit, error);
    assert.equal(status.reason, 'spawn failed: cannot use cwd /srv/gone: ENOENT');
    assert.equal(h.clock.pending, 0);
    assert.equal(h.runner.signal('SIGTERM'), false);
  });
});

void describe('Runner: stop and restart', () => {
  void it('stop from running: stop signal, then stopped once the main process is gone', () => {
    const h = setup({ minUptimeMs: 0 });
    h.runner.dispatch({ type: 'start' });
    h.runner.dispatch({ type: 'stop' });
    assert.equal(h.state(), 'stopping');
    assert.deepEqual(h.signals, [
      [1001, 'SIGTERM'],
      [1001, 'SIGCONT'],
    ]);
    h.child().die(null, 'SIGTERM');
    assert.equal(h.state(), 'stopped');
    assert.equal(h.clock.pending, 0, 'kill and reset timers cancelled');
    h.clock.advance(60_000);
    assert.equal(h.requests.length, 1, 'a user stop never restarts');
    assert.equal(h.runner.signal('SIGHUP'), false);
  });

  void it('escalates to SIGKILL after stop_timeout, then gives up after another', () => {
    const h = setup({ minUptimeMs: 0, stopSignal: 'SIGINT' });
    h.runner.dispatch({ type: 'start' });
    h.runner.dispatch({ type: 'stop' });
    h.clock.advance(1999);
    assert.deepEqual(h.signals, [
      [1001, 'SIGINT'],
      [1001, 'SIGCONT'],
    ]);
    h.clock.advance(1);
    assert.deepEqual(h.signals, [
      [1001, 'SIGINT'],
      [1001, 'SIGCONT'],
      [1001, 'SIGKILL'],
    ]);
    assert.equal(h.state(), 'stopping');
    h.clock.advance(KILL_GRACE_MS - 1);
    assert.equal(h.state(), 'stopping', 'SIGKILL gets its own grace, not stop_timeout');
    h.clock.advance(1);
    assert.equal(h.state(), 'stopped');
    assert.equal(h.reasons.at(-1), 'stopping→stopped: processes survived SIGKILL; stopped');
    assert.equal(h.clock.pending, 0);
  });

  void it('stop during backoff cancels the pending restart', () => {
    const h = setup();
    h.runner.dispatch({ type: 'start' });
    h.child().die(1);
    assert.equal(h.state(), 'backoff');
    h.runner.dispatch({ type: 'stop' });
    assert.equal(h.state(), 'stopped');
    assert.equal(h.clock.pending, 0);
    h.clock.advance(60_000);
    assert.equal(h.requests.length, 1);
  });

  void it('user restart from running: stop, then a fresh start with counters reset', () => {
    const h = setup({ minUptimeMs: 0 });
    h.runner.dispatch({ type: 'start' });
    h.child().die(1);
    h.clock.advanceToNext();
    assert.equal(h.runner.model.restarts, 1);
    h.runner.dispatch({ type: 'restart' });
    assert.equal(h.state(), 'stopping');
    assert.deepEqual(h.signals.slice(-2), [
      [1002, 'SIGTERM'],
      [1002, 'SIGCONT'],
    ]);
    h.child().die(null, 'SIGTERM');
    assert.deepEqual(h.current(), { state: 'running', since: h.clock.now(), pid: 1003 });
    assert.equal(h.runner.model.restarts, 0);
    assert.equal(h.runner.model.consecutiveFailures, 0);
  });

  void it("ignores the old child's exit once a new one runs", () => {
    const h = setup({ minUptimeMs: 0 });
    h.runner.dispatch({ type: 'start' });
    h.runner.dispatch({ type: 'restart' });
    h.clock.advance(2000 + KILL_GRACE_MS); // the old child survives SIGTERM and SIGKILL: warden gives up on it
    assert.deepEqual(h.current(), { state: 'running', since: h.clock.now(), pid: 1002 });
    h.child(0).die(null, 'SIGKILL');
    assert.equal(h.state(), 'running');
    assert.equal(h.runner.model.lastExit, null);
  });

  void it('signal() passes a signal to the group while an instance lives', () => {
    const h = setup();
    assert.equal(h.runner.signal('SIGHUP'), false, 'nothing spawned yet');
    h.runner.dispatch({ type: 'start' });
    assert.equal(h.runner.signal('SIGHUP'), true);
    assert.deepEqual(h.signals, [[1001, 'SIGHUP']]);
  });

  void it('a failing signalGroup is reported through onError, and the stop goes on', () => {
    const h = setup({ minUptimeMs: 0 });
    h.runner.dispatch({ type: 'start' });
    h.failSignals(new Error('EPERM'));
    h.runner.dispatch({ type: 'stop' });
    assert.deepEqual(h.errors, [
      'SIGTERM to the tree failed: Error: EPERM',
      'SIGCONT to the tree failed: Error: EPERM',
    ]);
    h.child().die(null, 'SIGTERM');
    assert.equal(h.state(), 'stopped');
  });
});

void describe('Runner: a crash loop', () => {
  void it('ends in failed after burst + 1 failed starts and is never running', () => {
    const h = setup();
    h.runner.dispatch({ type: 'start' });
    for (let i = 0; i < 10 && h.state() === 'starting'; i++) {
      h.clock.advance(50);
      h.child().die(1);
      h.clock.advanceToNext();
    }
    assert.equal(h.state(), 'failed');
    assert.equal(h.requests.length, 4);
    assert.ok(!h.states.includes('running'), h.states.join(' '));
    assert.equal(
      h.runner.status().reason,
      'start limit: 4 failed starts within 10000ms; last: exit 1',
    );
    assert.equal(h.clock.pending, 0);
    h.clock.advance(3_600_000);
    assert.equal(h.requests.length, 4, 'no restart after failed');
  });
});

void describe('FakeClock', () => {
  void it('fires due timers in order of due time, then arming order, at their own time', () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.after(30, () => fired.push(`c@${clock.now()}`));
    clock.after(10, () => fired.push(`a@${clock.now()}`));
    clock.after(10, () => fired.push(`b@${clock.now()}`));
    const gone = clock.after(20, () => fired.push('cancelled'));
    clock.cancel(gone);
    clock.advance(25);
    assert.deepEqual(fired, ['a@1010', 'b@1010']);
    assert.equal(clock.now(), 1025);
    clock.advance(100);
    assert.deepEqual(fired, ['a@1010', 'b@1010', 'c@1030']);
    assert.equal(clock.pending, 0);
  });

  void it('fires timers armed by a callback when they fall in the window', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.after(5, () => clock.after(5, () => fired.push(clock.now())));
    clock.advance(10);
    assert.deepEqual(fired, [10]);
    assert.equal(clock.nextDueAt(), undefined);
  });
});

void describe('Runner: regressions', () => {
  void it('a spawn that throws (Node throws ENOTDIR, E2BIG) ends in failed instead of escaping', () => {
    const h = setup({}, () => {
      throw Object.assign(new Error('spawn /etc/passwd/app ENOTDIR'), { code: 'ENOTDIR' });
    });
    assert.doesNotThrow(() => h.runner.dispatch({ type: 'start' }));
    assert.equal(h.state(), 'failed');
    assert.deepEqual(h.runner.model.lastExit, {
      spawnError: 'ENOTDIR',
      path: '/usr/bin/app',
      message: 'spawn /etc/passwd/app ENOTDIR',
    });
  });

  void it('signal() does not touch the old process group once the instance is down', () => {
    const h = setup({ restart: 'never', minUptimeMs: 0 });
    h.runner.dispatch({ type: 'start' });
    h.child().die(1);
    assert.equal(h.state(), 'exited');
    const before = h.signals.length;
    assert.equal(h.runner.signal('SIGHUP'), false);
    assert.equal(h.signals.length, before, 'no kill(-1001, SIGHUP)');
  });
});

/** A pace that holds every spawn until `release` runs them (a pacer whose turn is full). */
function heldPace() {
  const held: (() => void)[] = [];
  const pace: SpawnPace = { run: (job) => void held.push(job) };
  return { pace, held, release: () => held.splice(0).forEach((job) => job()) };
}

void describe('Runner: spawns the pacer holds for a later turn', () => {
  void it('a held spawn runs later and the instance goes on as usual', () => {
    const p = heldPace();
    const h = setup({ minUptimeMs: 0 }, undefined, 0, p.pace);
    h.runner.dispatch({ type: 'start' });
    assert.deepEqual(h.current(), { state: 'starting', since: h.clock.now(), pid: null });
    assert.equal(h.requests.length, 0, 'nothing spawned before the pacer lets it');
    p.release();
    assert.equal(h.requests.length, 1);
    assert.equal(h.state(), 'running');
    assert.equal(h.runner.status().pid, 1001);
  });

  void it('a stop before the held spawn runs: nothing is spawned, the instance stays stopped', () => {
    const p = heldPace();
    const h = setup({}, undefined, 0, p.pace);
    h.runner.dispatch({ type: 'start' });
    h.runner.dispatch({ type: 'stop' });
    assert.equal(h.state(), 'stopped');
    p.release();
    assert.equal(h.requests.length, 0, 'the held spawn was not wanted any more');
    assert.equal(h.state(), 'stopped');
  });

  void it('stop and start again while held: one spawn, not two', () => {
    const p = heldPace();
    const h = setup({ minUptimeMs: 0 }, undefined, 0, p.pace);
    h.runner.dispatch({ type: 'start' });
    h.runner.dispatch({ type: 'stop' });
    h.runner.dispatch({ type: 'start' });
    p.release();
    assert.equal(h.requests.length, 1);
    assert.equal(h.state(), 'running');
  });

  void it('a runner let go (detach, close) spawns nothing the pacer held', () => {
    for (const letGo of ['detach', 'close'] as const) {
      const p = heldPace();
      const h = setup({}, undefined, 0, p.pace);
      h.runner.dispatch({ type: 'start' });
      h.runner[letGo]();
      p.release();
      assert.equal(h.requests.length, 0, `${letGo}: nothing spawned`);
    }
  });
});
