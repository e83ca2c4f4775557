// The instance state machine, part 6: taking back a process from an earlier daemon (`adopted`),
// resuming a restored backoff (`resumed`), and an exit whose status is unknown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatExit, isCleanExit } from '../../src/core/exit.js';
import {
  backoff,
  modelWithHistory as model,
  NOW,
  POLICY,
  running,
  starting,
  step,
  stopped,
  stopping,
  T0,
} from '../helpers/core-fixtures.js';

void describe('transition: adopted', () => {
  void it('as running: keeps the recorded since and counters, arms the reset timer', () => {
    const t = step(model(stopped), { type: 'adopted', pid: 77, as: 'running', since: T0 - 500 });
    assert.deepEqual(t.model.current, { state: 'running', since: T0 - 500, pid: 77 });
    assert.equal(t.model.restarts, 4, 'counters are the restored ones');
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'reset', delayMs: POLICY.backoff.resetAfterMs },
    ]);
    assert.equal(t.reason, 'adopted pid 77');
  });

  void it('as starting without a readiness check: waits for min_uptime again', () => {
    const t = step(model(stopped), { type: 'adopted', pid: 77, as: 'starting', since: T0 });
    assert.deepEqual(t.model.current, { state: 'starting', since: T0, pid: 77 });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'uptime', delayMs: POLICY.minUptimeMs },
    ]);
  });

  void it('as stopping: carries the intent on and sends the stop signal again', () => {
    const intent = { kind: 'restart' } as const;
    const t = step(model(stopped), { type: 'adopted', pid: 77, as: 'stopping', since: T0, intent });
    assert.deepEqual(t.model.current, {
      state: 'stopping',
      since: NOW,
      pid: 77,
      intent,
      killSent: false,
    });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'signal-tree', signal: 'SIGTERM' },
      { kind: 'set-timer', timer: 'kill', delayMs: POLICY.stopTimeoutMs },
    ]);
  });

  for (const from of [running, starting, stopping({ kind: 'stop' })]) {
    void it(`is ignored in ${from.state}: an instance holds one process`, () => {
      const m = model(from);
      const t = step(m, { type: 'adopted', pid: 77, as: 'running', since: T0 });
      assert.equal(t.model, m);
      assert.deepEqual(t.effects, []);
    });
  }
});

void describe('transition: resumed', () => {
  void it('in backoff: re-arms the restart for the time left', () => {
    const t = step(model(backoff), { type: 'resumed' });
    assert.deepEqual(t.effects, [
      { kind: 'set-timer', timer: 'backoff', delayMs: backoff.restartAt - NOW },
    ]);
  });

  void it('in backoff past its time: restarts at once', () => {
    const late = { ...backoff, restartAt: NOW - 1000 };
    const t = step(model(late), { type: 'resumed' });
    assert.deepEqual(t.effects, [{ kind: 'set-timer', timer: 'backoff', delayMs: 0 }]);
  });

  void it('elsewhere: nothing', () => {
    assert.deepEqual(step(model(running), { type: 'resumed' }).effects, []);
  });
});

void describe('an unknown exit status (an adopted process ended)', () => {
  const unknown = { unknown: 'adopted: not a child of this daemon' };

  void it('is a failure for on-failure, and restarts', () => {
    assert.equal(isCleanExit(unknown), false);
    const t = step(
      model(running),
      { type: 'exited', status: unknown },
      {
        ...POLICY,
        restart: 'on-failure',
      },
    );
    assert.equal(t.model.current.state, 'stopping');
    assert.deepEqual(t.model.lastExit, unknown);
  });

  void it('reads as such', () => {
    assert.equal(formatExit(unknown), 'exit status unknown (adopted: not a child of this daemon)');
  });
});

void describe('a zero backoff', () => {
  void it('starts again in the same step, counting the restart', () => {
    const zero = { ...POLICY, backoff: { initialMs: 0, maxMs: 0, resetAfterMs: 5000 } };
    const t = step(model(running, { restarts: 2 }), { type: 'exited', status: { code: 1 } }, zero);
    const gone = step(t.model, { type: 'tree-gone' }, zero);
    assert.deepEqual(gone.model.current, { state: 'starting', since: NOW, pid: null });
    assert.equal(gone.model.restarts, 3);
    assert.deepEqual(gone.effects, [{ kind: 'clear-timers' }, { kind: 'spawn' }]);
    assert.equal(gone.reason, 'exit 1; automatic restart #3 (backoff 0)');
  });
});
