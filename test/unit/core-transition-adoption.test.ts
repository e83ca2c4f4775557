// The instance state machine, part 6: taking an instance back from an earlier daemon
// (`restored`: its process alive, gone, held elsewhere, or none), and an exit whose status is
// unknown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatExit, isCleanExit } from '../../src/core/exit.js';
import type {
  ActiveState,
  InstanceEvent,
  InstanceState,
  RecordedInstance,
} from '../../src/core/instance.js';
import { restoreOutcome } from '../../src/core/restore.js';
import {
  backoff,
  exited,
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

// A process found alive, as state.json (or a tree without a record) says it stood.
function alive(state: ActiveState, pid = 77): InstanceEvent {
  return { type: 'restored', record: null, found: { kind: 'alive', pid, state } };
}

// The record of an instance restored in `current`, with other counters than the model's.
function recorded(current: InstanceState): RecordedInstance {
  return {
    current,
    restarts: 9,
    consecutiveFailures: 2,
    failedStarts: [T0 - 1],
    lastExit: null,
    runStartedAt: null,
  };
}

void describe('transition: restored, its process alive', () => {
  void it('as running: keeps the recorded since and counters, arms the reset timer', () => {
    const t = step(model(stopped), alive({ state: 'running', since: T0 - 500, pid: 12 }));
    assert.deepEqual(t.model.current, { state: 'running', since: T0 - 500, pid: 77 });
    assert.equal(t.model.restarts, 4, 'counters are the restored ones');
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'reset', delayMs: POLICY.backoff.resetAfterMs },
    ]);
    assert.equal(t.reason, 'adopted pid 77');
  });

  void it('as starting without a readiness check: waits for min_uptime again', () => {
    const t = step(model(stopped), alive({ state: 'starting', since: T0, pid: null }));
    assert.deepEqual(t.model.current, { state: 'starting', since: T0, pid: 77 });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'uptime', delayMs: POLICY.minUptimeMs },
    ]);
  });

  void it('as stopping: carries the intent on and sends the stop signal again', () => {
    const intent = { kind: 'restart' } as const;
    const t = step(model(stopped), alive(stopping(intent, 77) as ActiveState));
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

  void it("with a record: the recorded counters replace the model's", () => {
    const found = { kind: 'alive', pid: 77, state: running } as const;
    const t = step(model(stopped), { type: 'restored', record: recorded(running), found });
    assert.equal(t.model.restarts, 9);
    assert.equal(t.model.consecutiveFailures, 2);
    assert.deepEqual(t.model.failedStarts, [T0 - 1]);
    assert.equal(t.model.lastExit, null);
    assert.equal(restoreOutcome(recorded(running), found), 'adopted');
  });

  for (const from of [running, starting, stopping({ kind: 'stop' })]) {
    void it(`is ignored in ${from.state}: an instance holds one process`, () => {
      const m = model(from);
      const t = step(m, alive({ state: 'running', since: T0, pid: 77 }));
      assert.equal(t.model, m);
      assert.deepEqual(t.effects, []);
    });
  }
});

void describe('transition: restored, its process gone', () => {
  void it('ended while no daemon ran: status unknown, the rest of the tree is stopped', () => {
    const found = { kind: 'gone', state: running } as const;
    const t = step(model(stopped), { type: 'restored', record: recorded(running), found });
    assert.equal(t.model.current.state, 'stopping');
    assert.deepEqual(t.model.lastExit, { unknown: 'ended while no daemon ran' });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'signal-tree', signal: 'SIGTERM' },
      { kind: 'await-tree' },
      { kind: 'set-timer', timer: 'kill', delayMs: POLICY.stopTimeoutMs },
    ]);
    assert.equal(restoreOutcome(recorded(running), found), 'lost');
  });
});

void describe('transition: restored without a process', () => {
  void it('in backoff: re-arms the restart for the time left', () => {
    const found = { kind: 'none' } as const;
    const t = step(model(stopped), { type: 'restored', record: recorded(backoff), found });
    assert.deepEqual(t.model.current, backoff);
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'backoff', delayMs: backoff.restartAt - NOW },
    ]);
    assert.equal(restoreOutcome(recorded(backoff), found), 'restored');
  });

  void it('in backoff past its time: restarts at once', () => {
    const late = { ...backoff, restartAt: NOW - 1000 };
    const t = step(model(stopped), {
      type: 'restored',
      record: recorded(late),
      found: { kind: 'none' },
    });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'backoff', delayMs: 0 },
    ]);
  });

  void it('elsewhere: the recorded state as it was, nothing armed', () => {
    const t = step(model(stopped), {
      type: 'restored',
      record: recorded(exited),
      found: { kind: 'none' },
    });
    assert.deepEqual(t.model.current, exited);
    assert.deepEqual(t.effects, [{ kind: 'clear-timers' }]);
  });

  void it('recorded with a spawn under way and nothing found: left alone, stopped', () => {
    const found = { kind: 'none' } as const;
    const rec = recorded({ state: 'starting', since: T0 - 3, pid: null });
    const t = step(model(stopped), { type: 'restored', record: rec, found });
    assert.deepEqual(t.model.current, {
      state: 'stopped',
      since: T0 - 3,
      reason: 'not adopted: its spawn was under way and no process of it was found',
    });
    assert.equal(restoreOutcome(rec, found), 'left-alone');
  });

  void it('its process held by another containment mode: left alone, stopped', () => {
    const found = { kind: 'held-elsewhere', pid: 77, since: T0 - 2 } as const;
    const t = step(model(stopped), { type: 'restored', record: recorded(running), found });
    assert.deepEqual(t.model.current, {
      state: 'stopped',
      since: T0 - 2,
      reason: 'not adopted: pid 77 is held by another containment mode',
    });
    assert.equal(restoreOutcome(recorded(running), found), 'left-alone');
  });

  void it('without a record and nothing found: nothing', () => {
    const m = model(stopped);
    const t = step(m, { type: 'restored', record: null, found: { kind: 'none' } });
    assert.equal(t.model, m);
    assert.deepEqual(t.effects, []);
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
