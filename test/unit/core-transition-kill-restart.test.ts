// The instance state machine, part 3: stopping (main exit, kill timer, tree-gone), user restart,
// and stale timers or events that mean nothing in a state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceEvent, InstanceState } from '../../src/core/instance.js';
import { KILL_GRACE_MS } from '../../src/core/transition.js';
import {
  backoff,
  exited,
  failed,
  modelWithHistory as model,
  NOW,
  running,
  starting,
  startingNoPid,
  step,
  stopped,
  stopping,
} from '../helpers/core-fixtures.js';

void describe('transition: stopping, the kill timer and tree-gone', () => {
  void it('main exit while stopping by user: pid cleared, lastExit recorded, tree awaited', () => {
    const t = step(model(stopping({ kind: 'stop' })), {
      type: 'exited',
      status: { signal: 'SIGTERM', coreDumped: false },
    });
    assert.deepEqual(t.model.current, stopping({ kind: 'stop' }, null));
    assert.deepEqual(t.model.lastExit, { signal: 'SIGTERM', coreDumped: false });
    assert.deepEqual(t.effects, [{ kind: 'await-tree' }], 'no clear-timers: the kill timer stays');
  });

  void it('tree-gone with intent stop: stopped', () => {
    const t = step(model(stopping({ kind: 'stop' }, null)), { type: 'tree-gone' });
    assert.deepEqual(t.model.current, { state: 'stopped', since: NOW, reason: 'stopped by user' });
    assert.deepEqual(t.effects, [{ kind: 'clear-timers' }]);
    assert.equal(t.reason, 'stopped');
  });

  void it('tree-gone while the main process still runs is ignored', () => {
    const m = model(stopping({ kind: 'stop' }, 42));
    assert.equal(step(m, { type: 'tree-gone' }).model, m);
  });

  void it('first kill timer: SIGKILL to the tree and the timer again', () => {
    const t = step(model(stopping({ kind: 'stop' })), { type: 'timer', timer: 'kill' });
    assert.deepEqual(t.model.current, stopping({ kind: 'stop' }, 42, true));
    assert.deepEqual(t.effects, [
      { kind: 'signal-tree', signal: 'SIGKILL' },
      { kind: 'set-timer', timer: 'kill', delayMs: KILL_GRACE_MS },
    ]);
    assert.equal(t.reason, 'stop_timeout (2000ms) elapsed: SIGKILL');
  });

  void it('second kill timer: gives up waiting and proceeds by the intent', () => {
    const t = step(model(stopping({ kind: 'stop' }, 42, true)), { type: 'timer', timer: 'kill' });
    assert.deepEqual(t.model.current, { state: 'stopped', since: NOW, reason: 'stopped by user' });
    assert.equal(t.reason, 'processes survived SIGKILL; stopped');
    const r = step(model(stopping({ kind: 'restart' }, null, true)), {
      type: 'timer',
      timer: 'kill',
    });
    assert.deepEqual(r.model.current, { state: 'starting', since: NOW, pid: null });
    assert.deepEqual(r.effects, [{ kind: 'clear-timers' }, { kind: 'spawn' }]);
    const e = step(
      model(stopping({ kind: 'exit', failedStart: false, forced: null }, null, true)),
      {
        type: 'timer',
        timer: 'kill',
      },
    );
    assert.equal(e.model.current.state, 'backoff');
    assert.equal(e.reason, 'processes survived SIGKILL; exit 1; restart in 800ms');
  });
});

void describe('transition: user restart', () => {
  void it('from running: stopping with intent restart, then tree-gone starts it again', () => {
    const m = model(running);
    const t1 = step(m, { type: 'restart' });
    assert.deepEqual(t1.model.current, { ...stopping({ kind: 'restart' }), since: NOW });
    assert.deepEqual(t1.effects, [
      { kind: 'clear-timers' },
      { kind: 'signal-tree', signal: 'SIGTERM' },
      { kind: 'set-timer', timer: 'kill', delayMs: 2000 },
    ]);
    assert.equal(t1.reason, 'restart by user: SIGTERM');
    const exit = { signal: 'SIGTERM', coreDumped: false } as const;
    const t2 = step(t1.model, { type: 'exited', status: exit });
    assert.deepEqual(t2.effects, [{ kind: 'await-tree' }]);
    const t3 = step(t2.model, { type: 'tree-gone' });
    assert.deepEqual(t3.model.current, { state: 'starting', since: NOW, pid: null });
    assert.deepEqual(t3.effects, [{ kind: 'clear-timers' }, { kind: 'spawn' }]);
    assert.equal(t3.model.restarts, 0);
    assert.equal(t3.model.consecutiveFailures, 0);
    assert.deepEqual(t3.model.failedStarts, []);
    assert.deepEqual(t3.model.lastExit, exit);
  });

  void it('from starting with a pid: stopping with intent restart', () => {
    const t = step(model(starting), { type: 'restart' });
    assert.deepEqual(t.model.current, { ...stopping({ kind: 'restart' }), since: NOW });
  });

  for (const from of [stopped, backoff, failed, exited]) {
    void it(`from ${from.state}: starts at once with counters reset`, () => {
      const t = step(model(from), { type: 'restart' });
      assert.deepEqual(t.model.current, { state: 'starting', since: NOW, pid: null });
      assert.equal(t.model.restarts, 0);
      assert.equal(t.reason, 'restarted by user');
    });
  }

  void it('while stopping: the intent becomes restart', () => {
    const t = step(model(stopping({ kind: 'stop' }, null)), { type: 'restart' });
    assert.deepEqual(t.model.current, stopping({ kind: 'restart' }, null));
  });
});

void describe('transition: stale timers and meaningless events change nothing', () => {
  const cases: [InstanceState, InstanceEvent][] = [
    [running, { type: 'timer', timer: 'uptime' }],
    [startingNoPid, { type: 'timer', timer: 'uptime' }],
    [stopped, { type: 'timer', timer: 'backoff' }],
    [running, { type: 'timer', timer: 'backoff' }],
    [starting, { type: 'timer', timer: 'reset' }],
    [backoff, { type: 'timer', timer: 'reset' }],
    [running, { type: 'timer', timer: 'kill' }],
    [exited, { type: 'timer', timer: 'kill' }],
    [failed, { type: 'timer', timer: 'uptime' }],
    [running, { type: 'spawned', pid: 7 }],
    [starting, { type: 'spawned', pid: 7 }],
    [backoff, { type: 'spawned', pid: 7 }],
    [stopped, { type: 'exited', status: { code: 1 } }],
    [backoff, { type: 'exited', status: { code: 1 } }],
    [failed, { type: 'exited', status: { code: 1 } }],
    [exited, { type: 'exited', status: { code: 1 } }],
    [stopping({ kind: 'stop' }, null), { type: 'exited', status: { code: 1 } }],
    [running, { type: 'tree-gone' }],
    [stopped, { type: 'tree-gone' }],
    [backoff, { type: 'tree-gone' }],
  ];
  for (const [from, event] of cases) {
    const label = event.type === 'timer' ? `timer ${event.timer}` : event.type;
    const pid = 'pid' in from ? ` (pid ${String(from.pid)})` : '';
    void it(`${label} in ${from.state}${pid}`, () => {
      const m = model(from);
      const t = step(m, event);
      assert.deepEqual(t.model, m);
      assert.deepEqual(t.effects, []);
      assert.equal(t.reason, undefined);
    });
  }

  void it('spawn-failed outside starting keeps the state but records the failure', () => {
    const error = { spawnError: 'ENOENT', path: '/bin/nope', message: 'spawn /bin/nope ENOENT' };
    const t = step(model(stopped), { type: 'spawn-failed', error });
    assert.deepEqual(t.model.current, stopped);
    assert.deepEqual(t.model.lastExit, error);
    assert.deepEqual(t.effects, []);
  });
});
