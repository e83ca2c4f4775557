// runtime_max (systemd's RuntimeMaxSec=): an instance `running` for that long is stopped and
// started again at once, with its reason, as an automatic restart that is no failure (neither the
// backoff nor the start limit counts it). In the core, then through a Runner on a fake clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceEvent, InstanceModel, Transition } from '../../src/core/instance.js';
import { restoreOutcome } from '../../src/core/restore.js';
import type { SignalName } from '../../src/core/signals.js';
import { transition, type InstancePolicy } from '../../src/core/transition.js';
import { lineSink } from '../../src/logs/service-log.js';
import { Runner } from '../../src/runtime/runner/runner.js';
import { fakeTree, makeSpec, modelWithHistory, POLICY, T0 } from '../helpers/core-fixtures.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeChild } from '../helpers/fake-child.js';

const MAX: InstancePolicy = { ...POLICY, runtimeMaxMs: 2000 };

/** Applies `events` to `m`, the i-th at `times[i]`; returns every transition. */
function play(m: InstanceModel, events: [number, InstanceEvent][], p = MAX): Transition[] {
  const out: Transition[] = [];
  let model = m;
  for (const [at, e] of events) {
    const t = transition(model, e, at, p);
    out.push(t);
    model = t.model;
  }
  return out;
}

const RUNNING = { state: 'running', since: T0, pid: 42 } as const;

void describe('runtime_max in the core', () => {
  void it('arms its timer on entering running, for the whole runtime_max', () => {
    const m = modelWithHistory({ state: 'starting', since: T0, pid: 42 });
    const t = transition(m, { type: 'timer', timer: 'uptime' }, T0 + 500, MAX);
    assert.equal(t.model.current.state, 'running');
    assert.ok(
      t.effects.some(
        (e) => e.kind === 'set-timer' && e.timer === 'runtime-max' && e.delayMs === 2000,
      ),
      JSON.stringify(t.effects),
    );
  });

  void it('fails a task that runs past it (restart never: failed, not restarted)', () => {
    const task: InstancePolicy = { ...MAX, kind: 'task', restart: 'never' };
    const m = modelWithHistory(RUNNING);
    const [stop, exited, gone] = play(
      m,
      [
        [T0 + 2000, { type: 'timer', timer: 'runtime-max' }],
        [T0 + 2010, { type: 'exited', status: { signal: 'SIGTERM', coreDumped: false } }],
        [T0 + 2020, { type: 'tree-gone' }],
      ],
      task,
    );
    assert.equal(stop?.model.current.state, 'stopping');
    assert.equal(exited?.model.current.state, 'stopping');
    assert.deepEqual(gone?.model.current, {
      state: 'failed',
      since: T0 + 2020,
      reason: { kind: 'task-failed', last: 'runtime_max reached, SIGTERM' },
    });
  });

  void it('arms nothing without runtime_max', () => {
    const m = modelWithHistory({ state: 'starting', since: T0, pid: 42 });
    const t = transition(m, { type: 'timer', timer: 'uptime' }, T0 + 500, POLICY);
    assert.ok(!t.effects.some((e) => e.kind === 'set-timer' && e.timer === 'runtime-max'));
  });

  void it('stops the tree with its reason, then starts again at once: no backoff, no failure', () => {
    const m = modelWithHistory(RUNNING, { consecutiveFailures: 2, failedStarts: [T0 - 10] });
    const [stop, exit, gone] = play(m, [
      [T0 + 2000, { type: 'timer', timer: 'runtime-max' }],
      [T0 + 2010, { type: 'exited', status: { signal: 'SIGTERM', coreDumped: false } }],
      [T0 + 2020, { type: 'tree-gone' }],
    ]);
    assert.equal(stop?.model.current.state, 'stopping');
    assert.equal(stop?.reason, 'runtime_max (2s) reached: SIGTERM');
    assert.deepEqual(stop?.effects.slice(1), [
      { kind: 'signal-tree', signal: 'SIGTERM' },
      { kind: 'set-timer', timer: 'kill', delayMs: POLICY.stopTimeoutMs },
    ]);
    assert.equal(exit?.model.current.state, 'stopping');
    assert.equal(gone?.model.current.state, 'starting');
    assert.equal(gone?.reason, 'runtime_max (2s) reached; automatic restart #5');
    assert.deepEqual(gone?.effects, [{ kind: 'clear-timers' }, { kind: 'spawn' }]);
    assert.equal(gone?.model.restarts, 5, 'an automatic restart');
    assert.equal(gone?.model.consecutiveFailures, 2, 'not a failure: the backoff does not grow');
    assert.deepEqual(gone?.model.failedStarts, [T0 - 10], 'not a failed start');
    assert.deepEqual(gone?.model.lastExit, { signal: 'SIGTERM', coreDumped: false });
  });

  void it('with restart: never, the instance ends exited, saying why', () => {
    const never = { ...MAX, restart: 'never' } as const;
    const [, , gone] = play(
      modelWithHistory(RUNNING),
      [
        [T0 + 2000, { type: 'timer', timer: 'runtime-max' }],
        [T0 + 2010, { type: 'exited', status: { signal: 'SIGTERM', coreDumped: false } }],
        [T0 + 2020, { type: 'tree-gone' }],
      ],
      never,
    );
    assert.equal(gone?.model.current.state, 'exited');
    assert.equal(gone?.reason, 'runtime_max (2s) reached; restart: never');
  });

  void it('is ignored outside running and once runtime_max is gone (a reload)', () => {
    const starting = modelWithHistory({ state: 'starting', since: T0, pid: 42 });
    const timer: InstanceEvent = { type: 'timer', timer: 'runtime-max' };
    assert.deepEqual(transition(starting, timer, T0 + 5000, MAX).effects, []);
    assert.deepEqual(transition(modelWithHistory(RUNNING), timer, T0 + 5000, POLICY).effects, []);
  });

  void it('an adopted running instance keeps the time it already ran', () => {
    const m = modelWithHistory({ state: 'stopped', since: T0, reason: 'never started' });
    const found = { kind: 'alive', pid: 42, state: RUNNING } as const;
    assert.equal(restoreOutcome(null, found), 'adopted');
    const t = transition(m, { type: 'restored', record: null, found }, T0 + 1500, MAX);
    assert.equal(t.model.current.state, 'running');
    const armed = t.effects.find((e) => e.kind === 'set-timer' && e.timer === 'runtime-max');
    assert.deepEqual(armed, { kind: 'set-timer', timer: 'runtime-max', delayMs: 500 });
  });
});

void describe('runtime_max through a Runner and its Clock', () => {
  void it('fires runtime_max after the instance became running, not before', () => {
    const clock = new FakeClock();
    const signals: SignalName[] = [];
    const reasons: string[] = [];
    const runner = new Runner({
      spec: makeSpec({ minUptimeMs: 500, runtimeMaxMs: 3_600_000 }),
      index: 0,
      clock,
      baseEnv: {},
      processes: {
        spawn: () => new FakeChild(4242),
        tree: () => fakeTree({ signal: (signal) => (signals.push(signal), true) }),
      },
      sink: lineSink(
        () => undefined,
        () => clock.now(),
      ),
      probes: () => ({
        extras: () => ({ env: {}, pipes: [] }),
        started: () => undefined,
        line: () => undefined,
        stop: () => undefined,
        close: () => undefined,
        drain: () => undefined,
      }),
      onTransition: (_r, _from, reason) => reasons.push(reason),
      onError: () => undefined,
    });
    runner.dispatch({ type: 'start' });
    clock.advance(500);
    assert.equal(runner.model.current.state, 'running');
    clock.advance(3_600_000 - 1);
    assert.equal(runner.model.current.state, 'running');
    assert.deepEqual(signals, []);
    clock.advance(1);
    assert.equal(runner.model.current.state, 'stopping');
    assert.deepEqual(signals, ['SIGTERM', 'SIGCONT']);
    assert.equal(reasons.at(-1), 'runtime_max (1h) reached: SIGTERM');
  });
});
