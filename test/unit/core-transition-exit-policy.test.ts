// The instance state machine, part 2: the main process ends by itself; the restart policy,
// backoff and start limit decide what comes next; spawn failures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExitStatus, SpawnFailure } from '../../src/core/exit.js';
import {
  newInstance,
  type InstanceEvent,
  type InstanceModel,
  type InstanceState,
} from '../../src/core/instance.js';
import { transition } from '../../src/core/transition.js';
import { POLICY, T0 } from '../helpers/core-fixtures.js';

function model(current: InstanceState, extra: Partial<InstanceModel> = {}): InstanceModel {
  return { ...newInstance('web', 0, 1, 0), current, ...extra };
}

/** Applies events in order at `now`, returning the last transition. */
function run(m: InstanceModel, events: InstanceEvent[], now: number, p = POLICY) {
  let t = transition(m, events[0] ?? { type: 'start' }, now, p);
  for (const e of events.slice(1)) t = transition(t.model, e, now, p);
  return t;
}

/** From `current` (starting or running), the main process exits, then the tree is gone. */
function exitAndDrain(current: InstanceState, status: ExitStatus, p = POLICY, now = T0 + 50) {
  const m = model(current);
  return run(m, [{ type: 'exited', status }, { type: 'tree-gone' }], now, p);
}

const running: InstanceState = { state: 'running', since: T0, pid: 42 };
const starting: InstanceState = { state: 'starting', since: T0, pid: 42 };

void describe('transition: the main process exits', () => {
  // failedStart: ended before reset_after (5s) of running; a run that lasted it is not one.
  const settled: InstanceState = { state: 'running', since: T0 + 9 - 5000, pid: 42 };
  for (const [from, failedStart] of [
    [starting, true],
    [running, true],
    [settled, false],
  ] as const) {
    void it(`in ${from.state} since ${from.since - T0}: stopping (failedStart ${failedStart}) with signal, watch, kill timer`, () => {
      const t = transition(model(from), { type: 'exited', status: { code: 3 } }, T0 + 9, POLICY);
      assert.deepEqual(t.model.current, {
        state: 'stopping',
        since: T0 + 9,
        pid: null,
        intent: { kind: 'exit', failedStart, forced: null },
        killSent: false,
      });
      assert.deepEqual(t.model.lastExit, { code: 3 });
      assert.deepEqual(t.effects, [
        { kind: 'clear-timers' },
        { kind: 'signal-tree', signal: 'SIGTERM' },
        { kind: 'await-tree' },
        { kind: 'set-timer', timer: 'kill', delayMs: 2000 },
      ]);
      assert.equal(t.reason, 'exit 3');
    });
  }

  void it('tree-gone then applies the policy: backoff with a backoff timer', () => {
    const t = exitAndDrain(running, { code: 1 });
    assert.deepEqual(t.model.current, {
      state: 'backoff',
      since: T0 + 50,
      restartAt: T0 + 150,
      attempt: 1,
    });
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'backoff', delayMs: 100 },
    ]);
    assert.equal(t.reason, 'exit 1; restart in 100ms');
    assert.equal(t.model.consecutiveFailures, 1);
  });

  void it('the backoff timer starts it again with restarts + 1', () => {
    const m = model(
      { state: 'backoff', since: T0, restartAt: T0 + 100, attempt: 3 },
      { restarts: 2 },
    );
    const t = transition(m, { type: 'timer', timer: 'backoff' }, T0 + 100, POLICY);
    assert.deepEqual(t.model.current, { state: 'starting', since: T0 + 100, pid: null });
    assert.deepEqual(t.effects, [{ kind: 'clear-timers' }, { kind: 'spawn' }]);
    assert.equal(t.model.restarts, 3);
    assert.equal(t.reason, 'automatic restart #3');
  });
});

void describe('transition: restart policy decides between exited and backoff', () => {
  const statuses: [string, ExitStatus, boolean][] = [
    ['exit 0', { code: 0 }, true],
    ['exit 1', { code: 1 }, false],
    ['SIGTERM', { signal: 'SIGTERM', coreDumped: false }, true],
    ['SIGINT', { signal: 'SIGINT', coreDumped: false }, true],
    ['SIGKILL', { signal: 'SIGKILL', coreDumped: false }, false],
    ['SIGSEGV (core dumped)', { signal: 'SIGSEGV', coreDumped: true }, false],
  ];
  for (const restart of ['always', 'on-failure', 'never'] as const) {
    for (const [label, status, clean] of statuses) {
      const restarts = restart === 'always' || (restart === 'on-failure' && !clean);
      void it(`restart ${restart}, ${label}: ${restarts ? 'backoff' : 'exited'}`, () => {
        for (const from of [running, starting]) {
          const t = exitAndDrain(from, status, { ...POLICY, restart });
          assert.equal(t.model.current.state, restarts ? 'backoff' : 'exited');
          assert.equal(
            t.reason,
            `${label}; ${restarts ? 'restart in 100ms' : `restart: ${restart}`}`,
          );
          if (!restarts) {
            assert.deepEqual(t.effects, [{ kind: 'clear-timers' }]);
            assert.equal(t.model.consecutiveFailures, 0);
            assert.deepEqual(t.model.failedStarts, [], 'a start not retried is not counted');
          }
        }
      });
    }
  }
});

void describe('transition: backoff grows and is capped', () => {
  void it('doubles from initial and stops at max; attempt counts restarts', () => {
    // A start limit high enough for these short runs, which it counts.
    const p = { ...POLICY, startLimit: { burst: 100, intervalMs: 10_000 } };
    let m = model({ state: 'running', since: T0, pid: 1 });
    let now = T0;
    const delays: number[] = [];
    const attempts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = run(m, [{ type: 'exited', status: { code: 1 } }, { type: 'tree-gone' }], now, p);
      assert.equal(t.model.current.state, 'backoff');
      if (t.model.current.state !== 'backoff') return;
      delays.push(t.model.current.restartAt - now);
      attempts.push(t.model.current.attempt);
      now = t.model.current.restartAt;
      const again = run(
        t.model,
        [
          { type: 'timer', timer: 'backoff' },
          { type: 'spawned', pid: 10 + i },
        ],
        now,
        p,
      );
      m = transition(again.model, { type: 'timer', timer: 'uptime' }, now, p).model;
      assert.equal(m.current.state, 'running');
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
    assert.deepEqual(attempts, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(m.restarts, 7);
  });

  void it('restarts from initial after the reset timer', () => {
    const m = model(running, { consecutiveFailures: 6, restarts: 6 });
    const reset = transition(m, { type: 'timer', timer: 'reset' }, T0, POLICY).model;
    const t = run(reset, [{ type: 'exited', status: { code: 1 } }, { type: 'tree-gone' }], T0);
    assert.deepEqual(t.effects[1], { kind: 'set-timer', timer: 'backoff', delayMs: 100 });
    assert.equal(t.model.current.state === 'backoff' && t.model.current.attempt, 7);
  });
});

void describe('transition: start limit', () => {
  /** Fails `count` starts, `gapMs` apart, from a fresh start; returns the final model. */
  function failStarts(count: number, gapMs: number, p = POLICY) {
    let m = transition(
      model({ state: 'stopped', since: 0, reason: '' }),
      { type: 'start' },
      T0,
      p,
    ).model;
    let now = T0;
    const states: string[] = [];
    for (let i = 0; i < count; i++) {
      const t = run(
        m,
        [
          { type: 'spawned', pid: 100 + i },
          { type: 'exited', status: { code: 1 } },
          { type: 'tree-gone' },
        ],
        now,
        p,
      );
      states.push(t.model.current.state);
      m = t.model;
      if (m.current.state !== 'backoff') break;
      now = Math.max(m.current.restartAt, now + gapMs);
      m = transition(m, { type: 'timer', timer: 'backoff' }, now, p).model;
    }
    return { model: m, states, now };
  }

  void it('burst 3: the 4th failed start within the interval fails the instance', () => {
    const { model: m, states, now } = failStarts(4, 0);
    assert.deepEqual(states, ['backoff', 'backoff', 'backoff', 'failed']);
    assert.deepEqual(m.current, {
      state: 'failed',
      since: now,
      reason: { kind: 'start-limit', failedStarts: 4, intervalMs: 10_000, last: 'exit 1' },
    });
    assert.equal(m.failedStarts.length, 4);
    assert.deepEqual(m.lastExit, { code: 1 });
  });

  void it('the limit reason reads as a log line', () => {
    let m = model(starting, { failedStarts: [T0, T0 + 1, T0 + 2] });
    const t = run(m, [{ type: 'exited', status: { code: 2 } }, { type: 'tree-gone' }], T0 + 3);
    m = t.model;
    assert.equal(m.current.state, 'failed');
    assert.equal(t.reason, 'exit 2; start limit hit (4 failed starts in 10000ms)');
    assert.deepEqual(t.effects, [{ kind: 'clear-timers' }]);
  });

  void it('failed starts older than the interval do not count', () => {
    const { states } = failStarts(8, 4000);
    assert.deepEqual(states, Array(8).fill('backoff'));
  });

  void it('a failed start exactly one interval after another does not count it', () => {
    const m = model(starting, { failedStarts: [T0, T0 + 1, T0 + 2] });
    const t = run(m, [{ type: 'exited', status: { code: 1 } }, { type: 'tree-gone' }], T0 + 10_000);
    assert.equal(t.model.current.state, 'backoff');
    assert.deepEqual(t.model.failedStarts, [T0 + 1, T0 + 2, T0 + 10_000]);
  });

  void it('an exit after reset_after of running is not a failed start and clears the history', () => {
    const m = model(running, { failedStarts: [T0 - 3, T0 - 2, T0 - 1] });
    const t = run(m, [{ type: 'exited', status: { code: 1 } }, { type: 'tree-gone' }], T0 + 5000);
    assert.equal(t.model.current.state, 'backoff');
    assert.deepEqual(t.model.failedStarts, []);
  });

  void it('an exit after running for less than reset_after is a failed start', () => {
    const m = model(running, { failedStarts: [T0, T0 + 1, T0 + 2] });
    const t = run(m, [{ type: 'exited', status: { code: 1 } }, { type: 'tree-gone' }], T0 + 3);
    assert.equal(t.model.current.state, 'failed');
    assert.equal(t.reason, 'exit 1; start limit hit (4 failed starts in 10000ms)');
  });

  void it('burst 0: the first failed start fails the instance', () => {
    const p = { ...POLICY, startLimit: { burst: 0, intervalMs: 1000 } };
    assert.deepEqual(failStarts(1, 0, p).states, ['failed']);
  });

  void it('a user start after failed clears the history and starts again', () => {
    const failedModel = failStarts(4, 0).model;
    const t = transition(failedModel, { type: 'start' }, T0 + 99, POLICY);
    assert.equal(t.model.current.state, 'starting');
    assert.deepEqual(t.model.failedStarts, []);
    assert.equal(t.model.restarts, 0);
  });
});

void describe('transition: spawn failure', () => {
  const error: SpawnFailure = {
    spawnError: 'ENOENT',
    path: '/usr/bin/nope',
    message: 'spawn /usr/bin/nope ENOENT',
  };
  for (const restart of ['always', 'on-failure', 'never'] as const) {
    void it(`starting → failed with spawn-error (restart ${restart})`, () => {
      const m = model({ state: 'starting', since: T0, pid: null });
      const t = transition(m, { type: 'spawn-failed', error }, T0 + 1, { ...POLICY, restart });
      assert.deepEqual(t.model.current, {
        state: 'failed',
        since: T0 + 1,
        reason: { kind: 'spawn-error', error },
      });
      assert.equal(t.model.lastExit, error);
      assert.deepEqual(t.effects, [{ kind: 'clear-timers' }]);
      assert.equal(t.reason, 'spawn failed: ENOENT (/usr/bin/nope)');
    });
  }
});
