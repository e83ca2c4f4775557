// Readiness and the watchdog in the state machine: with a `ready` check only the check (or its
// timeout) ends `starting`; a timeout or a silent watchdog is a failure whatever the exit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceEvent, InstanceModel } from '../../src/core/instance.js';
import { newInstance } from '../../src/core/instance.js';
import { transition, WATCHDOG_SIGNAL, type InstancePolicy } from '../../src/core/transition.js';
import { POLICY, T0 } from '../helpers/core-fixtures.js';

const READY: InstancePolicy = {
  ...POLICY,
  ready: { check: { kind: 'tcp', host: '127.0.0.1', port: 1 }, timeoutMs: 3000, intervalMs: 100 },
  watchdogMs: 2000,
};

function run(events: InstanceEvent[], p: InstancePolicy = READY, m = newInstance('web', 0, 1, T0)) {
  let model: InstanceModel = m;
  let last = transition(model, { type: 'start' }, T0, p);
  model = last.model;
  events.forEach((e, i) => {
    last = transition(model, e, T0 + i + 1, p);
    model = last.model;
  });
  return last;
}

void describe('readiness', () => {
  void it('after spawn, a ready-timeout timer instead of min_uptime', () => {
    const t = run([{ type: 'spawned', pid: 7 }]);
    assert.equal(t.model.current.state, 'starting');
    assert.deepEqual(t.effects, [{ kind: 'set-timer', timer: 'ready-timeout', delayMs: 3000 }]);
  });

  void it('min_uptime passing does not make it running: only the check does', () => {
    const t = run([
      { type: 'spawned', pid: 7 },
      { type: 'timer', timer: 'uptime' },
    ]);
    assert.equal(t.model.current.state, 'starting');
  });

  void it('ready -> running, with the reset and watchdog timers', () => {
    const t = run([
      { type: 'spawned', pid: 7 },
      { type: 'ready', source: 'tcp' },
    ]);
    assert.deepEqual(t.model.current, { state: 'running', since: T0 + 2, pid: 7 });
    assert.equal(t.reason, 'ready (tcp)');
    assert.deepEqual(t.effects, [
      { kind: 'clear-timers' },
      { kind: 'set-timer', timer: 'reset', delayMs: 5000 },
      { kind: 'set-timer', timer: 'watchdog', delayMs: 2000 },
    ]);
  });

  void it('ready in any other state changes nothing', () => {
    const t = run([{ type: 'ready', source: 'notify' }]); // before spawned
    assert.equal(t.model.current.state, 'starting');
    assert.deepEqual(t.effects, []);
  });

  void it('not ready in time: stop, then a failed start with backoff, even on a clean exit', () => {
    const p: InstancePolicy = { ...READY, restart: 'on-failure' };
    const t = run(
      [
        { type: 'spawned', pid: 7 },
        { type: 'timer', timer: 'ready-timeout' },
        { type: 'exited', status: { signal: 'SIGTERM', coreDumped: false } },
        { type: 'tree-gone' },
      ],
      p,
    );
    assert.equal(t.model.current.state, 'backoff');
    assert.deepEqual(t.model.failedStarts, [T0 + 4]);
    assert.match(t.reason ?? '', /^not ready in time, SIGTERM; restart in 100ms$/);
  });

  void it('not ready in time with restart: never ends exited', () => {
    const p: InstancePolicy = { ...READY, restart: 'never' };
    const t = run(
      [
        { type: 'spawned', pid: 7 },
        { type: 'timer', timer: 'ready-timeout' },
        { type: 'exited', status: { code: 0 } },
        { type: 'tree-gone' },
      ],
      p,
    );
    assert.equal(t.model.current.state, 'exited');
  });
});

void describe('watchdog', () => {
  const up: InstanceEvent[] = [
    { type: 'spawned', pid: 7 },
    { type: 'ready', source: 'notify' },
  ];

  void it('WATCHDOG=1 re-arms the timer', () => {
    const t = run([...up, { type: 'watchdog-ping' }]);
    assert.equal(t.model.current.state, 'running');
    assert.deepEqual(t.effects, [{ kind: 'set-timer', timer: 'watchdog', delayMs: 2000 }]);
  });

  void it('silence: SIGABRT, then a restart that counts as a failure', () => {
    const stop = run([...up, { type: 'timer', timer: 'watchdog' }]);
    assert.equal(stop.model.current.state, 'stopping');
    assert.ok(stop.effects.some((e) => e.kind === 'signal-tree' && e.signal === WATCHDOG_SIGNAL));
    const t = run([
      ...up,
      { type: 'timer', timer: 'watchdog' },
      { type: 'exited', status: { signal: 'SIGABRT', coreDumped: true } },
      { type: 'tree-gone' },
    ]);
    assert.equal(t.model.current.state, 'backoff');
    assert.equal(t.model.consecutiveFailures, 1);
    assert.equal(t.model.failedStarts.length, 1, 'running for less than reset_after: counted');
    assert.match(t.reason ?? '', /^watchdog timeout, SIGABRT \(core dumped\); restart in/);
  });

  void it('a deadline judged a period late (a stalled daemon) grants a fresh period', () => {
    const t = run([...up, { type: 'timer', timer: 'watchdog', lateMs: 2000 }]);
    assert.equal(t.model.current.state, 'running');
    assert.deepEqual(t.effects, [{ kind: 'set-timer', timer: 'watchdog', delayMs: 2000 }]);
    assert.match(t.reason ?? '', /daemon stalled 2000ms past the watchdog deadline/);
    // A real silence after it: the next deadline, on time, kills.
    const after = run([
      ...up,
      { type: 'timer', timer: 'watchdog', lateMs: 15_000 },
      { type: 'timer', timer: 'watchdog', lateMs: 0 },
    ]);
    assert.equal(after.model.current.state, 'stopping');
  });

  void it('a deadline a little late (less than a period) still kills', () => {
    const t = run([...up, { type: 'timer', timer: 'watchdog', lateMs: 1999 }]);
    assert.equal(t.model.current.state, 'stopping');
  });

  void it('pings and timers are ignored without a watchdog or outside running', () => {
    const none = run([...up, { type: 'watchdog-ping' }], { ...READY, watchdogMs: null });
    assert.deepEqual(none.effects, []);
    const early = run([
      { type: 'spawned', pid: 7 },
      { type: 'timer', timer: 'watchdog' },
    ]);
    assert.equal(early.model.current.state, 'starting');
  });
});
