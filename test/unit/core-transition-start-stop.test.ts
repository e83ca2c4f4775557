// The instance state machine, part 1: user start and stop; spawned, the uptime and reset timers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoff,
  exited,
  failed,
  modelWithHistory as model,
  NOW,
  POLICY,
  running,
  starting,
  startingNoPid,
  step,
  stopped,
  stopping,
  T0,
} from '../helpers/core-fixtures.js';

void describe('transition: start', () => {
  for (const from of [stopped, exited, failed, backoff]) {
    void it(`from ${from.state}: starting with counters reset and a spawn`, () => {
      const t = step(model(from), { type: 'start' });
      assert.deepEqual(t.model.current, { state: 'starting', since: NOW, pid: null });
      assert.deepEqual(t.effects, [{ kind: 'clear-timers' }, { kind: 'spawn' }]);
      assert.equal(t.model.restarts, 0);
      assert.equal(t.model.consecutiveFailures, 0);
      assert.deepEqual(t.model.failedStarts, []);
      assert.deepEqual(t.model.lastExit, { code: 1 }, 'lastExit is kept');
      assert.equal(t.reason, 'started by user');
    });
  }

  for (const from of [starting, startingNoPid, running]) {
    void it(`is a no-op in ${from.state} (pid ${String(from.state === 'running' || from.pid)})`, () => {
      const m = model(from);
      const t = step(m, { type: 'start' });
      assert.equal(t.model, m);
      assert.deepEqual(t.effects, []);
      assert.equal(t.reason, undefined);
    });
  }

  for (const intent of [
    { kind: 'stop' },
    { kind: 'exit', failedStart: true, forced: null },
  ] as const) {
    void it(`while stopping (intent ${intent.kind}) turns the intent into restart`, () => {
      const t = step(model(stopping(intent)), { type: 'start' });
      assert.deepEqual(t.model.current, stopping({ kind: 'restart' }));
      assert.deepEqual(t.effects, []);
      assert.equal(t.model.restarts, 0);
      assert.equal(t.model.consecutiveFailures, 0);
      assert.deepEqual(t.model.failedStarts, []);
    });
  }
});

void describe('transition: spawned, uptime and reset', () => {
  void it('spawned records the pid and arms the uptime timer', () => {
    const t = step(model(startingNoPid), { type: 'spawned', pid: 99 });
    assert.deepEqual(t.model.current, { state: 'starting', since: T0, pid: 99 });
    assert.deepEqual(t.effects, [{ kind: 'set-timer', timer: 'uptime', delayMs: 500 }]);
  });

  void it('the uptime timer moves starting to running and arms the reset timer', () => {
    const t = step(model(starting), { type: 'timer', timer: 'uptime' });
    assert.deepEqual(t.model.current, { state: 'running', since: NOW, pid: 42 });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'reset', delayMs: 5000 },
    ]);
    assert.equal(t.reason, 'up for min_uptime (500ms)');
    assert.equal(t.model.consecutiveFailures, 3, 'counters reset only after reset_after');
  });

  void it('min_uptime 0: spawned goes straight to running', () => {
    const p = { ...POLICY, minUptimeMs: 0 };
    const t = step(model(startingNoPid), { type: 'spawned', pid: 99 }, p);
    assert.deepEqual(t.model.current, { state: 'running', since: NOW, pid: 99 });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'reset', delayMs: 5000 },
    ]);
  });

  void it('the reset timer clears consecutiveFailures and failedStarts but not restarts', () => {
    const m = model(running);
    const t = step(m, { type: 'timer', timer: 'reset' });
    assert.equal(t.model.current, m.current);
    assert.equal(t.model.consecutiveFailures, 0);
    assert.deepEqual(t.model.failedStarts, []);
    assert.equal(t.model.restarts, 4);
    assert.deepEqual(t.effects, []);
  });
});

void describe('transition: stop', () => {
  void it('from starting before the spawn returned: stopped at once', () => {
    const t = step(model(startingNoPid), { type: 'stop' });
    assert.deepEqual(t.model.current, { state: 'stopped', since: NOW, reason: 'stopped by user' });
    assert.deepEqual(t.effects, [{ kind: 'clear-timers' }]);
  });

  for (const from of [starting, running]) {
    void it(`from ${from.state} with a pid: stopping, stop signal, kill timer`, () => {
      const t = step(model(from), { type: 'stop' });
      assert.deepEqual(t.model.current, { ...stopping({ kind: 'stop' }), since: NOW });
      assert.deepEqual(t.effects, [
        { kind: 'clear-timers' },
        { kind: 'signal-tree', signal: 'SIGTERM' },
        { kind: 'set-timer', timer: 'kill', delayMs: 2000 },
      ]);
      assert.equal(t.reason, 'stop by user: SIGTERM');
    });
  }

  void it('uses the configured stop signal', () => {
    const t = step(model(running), { type: 'stop' }, { ...POLICY, stopSignal: 'SIGINT' });
    assert.deepEqual(t.effects[1], { kind: 'signal-tree', signal: 'SIGINT' });
  });

  for (const from of [backoff, failed, exited]) {
    void it(`from ${from.state}: stopped, timers cleared, counters kept`, () => {
      const t = step(model(from), { type: 'stop' });
      assert.deepEqual(t.model.current, {
        state: 'stopped',
        since: NOW,
        reason: 'stopped by user',
      });
      assert.deepEqual(t.effects, [{ kind: 'clear-timers' }]);
      assert.equal(t.model.restarts, 4);
    });
  }

  void it('is a no-op when stopped', () => {
    const m = model(stopped);
    const t = step(m, { type: 'stop' });
    assert.equal(t.model, m);
    assert.deepEqual(t.effects, []);
  });

  for (const intent of [
    { kind: 'restart' },
    { kind: 'exit', failedStart: false, forced: null },
  ] as const) {
    void it(`while stopping with intent ${intent.kind}: the intent becomes stop`, () => {
      const t = step(model(stopping(intent, null, true)), { type: 'stop' });
      assert.deepEqual(t.model.current, stopping({ kind: 'stop' }, null, true));
      assert.deepEqual(t.effects, [], 'the pending kill timer is kept');
    });
  }
});
