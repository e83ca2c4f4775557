// Properties of the whole state machine: it is total, every change of state clears old timers
// first, and a crash-looping instance is never shown as running, however long it loops. Tasks
// and `on_exit: shutdown` are policies of the same machine: a task's exit 0 is never restarted,
// an `on_exit: shutdown` end never restarts, and `kill` leaves no process without a stop.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EVENT_TYPES,
  FORCED_STOPS,
  newInstance,
  TIMER_NAMES,
  type Effect,
  type InstanceEvent,
  type InstanceModel,
  type InstanceState,
  type StopIntent,
  type TimerName,
} from '../../src/core/instance.js';
import { transition, type InstancePolicy } from '../../src/core/transition.js';
import { POLICY, T0 } from '../helpers/core-fixtures.js';

const STATES: InstanceState[] = [
  { state: 'stopped', since: T0, reason: 'never started' },
  { state: 'starting', since: T0, pid: null },
  { state: 'starting', since: T0, pid: 42 },
  { state: 'running', since: T0, pid: 42 },
  { state: 'running', since: T0, pid: 42, health: { failures: 1, error: 'HTTP 503' } },
  { state: 'running', since: T0, pid: 42, health: { failures: 2, error: 'HTTP 503' } },
  { state: 'backoff', since: T0, restartAt: T0 + 100, attempt: 1 },
  {
    state: 'failed',
    since: T0,
    reason: { kind: 'start-limit', failedStarts: 4, intervalMs: 1, last: 'exit 1' },
  },
  { state: 'exited', since: T0 },
  { state: 'failed', since: T0, reason: { kind: 'task-failed', last: 'exit 1' } },
];
const INTENTS: StopIntent[] = [{ kind: 'stop' }, { kind: 'restart' }];
for (const forced of [null, ...FORCED_STOPS]) {
  for (const failedStart of [true, false]) INTENTS.push({ kind: 'exit', failedStart, forced });
}
for (const intent of INTENTS) {
  for (const pid of [42, null]) {
    for (const killSent of [false, true]) {
      STATES.push({ state: 'stopping', since: T0, pid, intent, killSent });
    }
  }
}

type Samples = { [K in InstanceEvent['type']]: Extract<InstanceEvent, { type: K }>[] };

// Samples of every event type: a new type fails to compile here until it has samples, and every
// timer comes from the core's own list (on time, and late by more than any period).
const SAMPLES: Samples = {
  start: [{ type: 'start' }, { type: 'start', reason: 'dependencies ready' }],
  stop: [{ type: 'stop' }],
  kill: [{ type: 'kill' }],
  restart: [{ type: 'restart' }],
  spawned: [
    { type: 'spawned', pid: 77 },
    { type: 'spawned', pid: 42 },
  ],
  'spawn-failed': [
    {
      type: 'spawn-failed',
      error: { spawnError: 'EACCES', path: '/x', message: 'spawn /x EACCES' },
    },
    {
      type: 'spawn-failed',
      error: { spawnError: 'EMFILE', path: '/x', message: 'spawn /x EMFILE' },
    },
  ],
  'exec-failed': [
    {
      type: 'exec-failed',
      pid: 42,
      error: { spawnError: 'ENOENT', path: '/x', message: 'spawn /x: execve failed: ENOENT' },
    },
  ],
  exited: [
    { type: 'exited', status: { code: 0 } },
    { type: 'exited', status: { code: 1 } },
    { type: 'exited', status: { signal: 'SIGSEGV', coreDumped: true } },
    { type: 'exited', status: { signal: 'SIGKILL', coreDumped: false, oom: true, limit: 1 << 26 } },
    { type: 'exited', status: { unknown: 'adopted: not a child of this daemon' } },
  ],
  'tree-gone': [{ type: 'tree-gone' }],
  ready: [{ type: 'ready', source: 'notify' }],
  'watchdog-ping': [{ type: 'watchdog-ping' }],
  health: [
    { type: 'health', error: null },
    { type: 'health', error: 'connect ECONNREFUSED' },
  ],
  'memory-exceeded': [{ type: 'memory-exceeded', bytes: 70 << 20, limitBytes: 64 << 20 }],
  restored: [
    { type: 'restored', record: null, found: { kind: 'none' } },
    {
      type: 'restored',
      record: null,
      found: { kind: 'alive', pid: 77, state: { state: 'running', since: T0 - 9, pid: 77 } },
    },
    {
      type: 'restored',
      record: null,
      found: { kind: 'alive', pid: 77, state: { state: 'starting', since: T0 - 9, pid: 77 } },
    },
    {
      type: 'restored',
      record: null,
      found: {
        kind: 'alive',
        pid: 77,
        state: {
          state: 'stopping',
          since: T0 - 9,
          pid: 77,
          intent: { kind: 'stop' },
          killSent: true,
        },
      },
    },
    {
      type: 'restored',
      record: {
        current: { state: 'running', since: T0 - 9, pid: 77 },
        restarts: 1,
        consecutiveFailures: 1,
        failedStarts: [],
        lastExit: null,
        runStartedAt: null,
      },
      found: { kind: 'gone', state: { state: 'running', since: T0 - 9, pid: 77 } },
    },
    {
      type: 'restored',
      record: {
        current: { state: 'backoff', since: T0 - 9, restartAt: T0 + 50, attempt: 2 },
        restarts: 1,
        consecutiveFailures: 1,
        failedStarts: [],
        lastExit: { code: 1 },
        runStartedAt: T0 - 20,
      },
      found: { kind: 'none' },
    },
    {
      type: 'restored',
      record: {
        current: { state: 'starting', since: T0 - 9, pid: null },
        restarts: 0,
        consecutiveFailures: 0,
        failedStarts: [],
        lastExit: null,
        runStartedAt: null,
      },
      found: { kind: 'none' },
    },
    { type: 'restored', record: null, found: { kind: 'held-elsewhere', pid: 77, since: T0 - 9 } },
  ],
  hold: [{ type: 'hold', reason: 'waiting for db' }],
  timer: TIMER_NAMES.flatMap((timer) => [
    { type: 'timer' as const, timer },
    { type: 'timer' as const, timer, lateMs: 1_000_000 },
  ]),
};
const EVENTS: InstanceEvent[] = Object.values(SAMPLES).flat();

const READY: InstancePolicy['ready'] = {
  check: { kind: 'tcp', host: '127.0.0.1', port: 1 },
  timeoutMs: 3000,
  intervalMs: 100,
};
// A plain policy, one with a readiness check, one with a watchdog, one with runtime_max, one
// with health probes (threshold 2, so that a sample state is at it), each as a service and as a
// task, and with on_exit: shutdown: every timer, event and policy can act.
const BASE: [string, InstancePolicy][] = [
  ['min_uptime', POLICY],
  ['ready', { ...POLICY, ready: READY }],
  ['watchdog', { ...POLICY, watchdogMs: 2000 }],
  ['runtime_max', { ...POLICY, runtimeMaxMs: 3000 }],
  [
    'health',
    {
      ...POLICY,
      health: {
        check: { kind: 'tcp', host: '127.0.0.1', port: 1 },
        intervalMs: 1000,
        timeoutMs: 500,
        failures: 2,
        startPeriodMs: 0,
      },
    },
  ],
];
const POLICIES: [string, InstancePolicy][] = BASE.flatMap(([name, p]) => [
  [name, p],
  [`${name}, task`, { ...p, kind: 'task' }],
  [`${name}, on_exit: shutdown`, { ...p, onExit: 'shutdown' }],
]);
// The exit statuses a model may carry when its tree goes (null: none recorded).
const LAST_EXITS: InstanceModel['lastExit'][] = [
  null,
  { code: 0 },
  { code: 1 },
  { signal: 'SIGKILL', coreDumped: false },
];

function label(s: InstanceState): string {
  if (s.state === 'stopping') {
    return `stopping(${JSON.stringify(s.intent)}, pid ${String(s.pid)}, killSent ${s.killSent})`;
  }
  return 'pid' in s ? `${s.state}(pid ${String(s.pid)})` : s.state;
}

void describe('transition is total and orderly', () => {
  void it('the samples cover every event type, timer and forced stop of the core', () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), [...EVENT_TYPES].sort());
    const timers = new Set(EVENTS.flatMap((e) => (e.type === 'timer' ? [e.timer] : [])));
    assert.deepEqual([...timers].sort(), [...TIMER_NAMES].sort());
    const forced = new Set(
      STATES.flatMap((s) =>
        s.state === 'stopping' && s.intent.kind === 'exit' && s.intent.forced !== null
          ? [s.intent.forced]
          : [],
      ),
    );
    assert.deepEqual([...forced].sort(), [...FORCED_STOPS].sort());
  });

  for (const restart of ['always', 'on-failure', 'never'] as const) {
    for (const [kind, policy] of POLICIES) {
      void it(`every state x event x timer (restart ${restart}, ${kind}) gives a valid transition`, () => {
        for (const current of STATES) {
          for (const [event, lastExit] of EVENTS.flatMap((e) =>
            LAST_EXITS.map((x) => [e, x] as const),
          )) {
            const m: InstanceModel = { ...newInstance('web', 0, 1, 0), current, lastExit };
            const where = `${label(current)} + ${JSON.stringify(event)} (last ${JSON.stringify(lastExit)})`;
            const p = { ...policy, restart };
            const t = transition(m, event, T0 + 5, p);
            const to = t.model.current;
            if (to.state !== current.state) {
              assert.deepEqual(t.effects[0], { kind: 'clear-timers' }, `${where}: clear first`);
              // A restored instance keeps the time its state began under the earlier daemon.
              if (event.type !== 'restored') assert.equal(to.since, T0 + 5, `${where}: since`);
              assert.equal(typeof t.reason, 'string', `${where}: a reason`);
            }
            const spawns = t.effects.filter((e) => e.kind === 'spawn').length;
            const begins =
              to.state === 'starting' && to.pid === null && current.state !== 'starting';
            assert.equal(spawns, begins ? 1 : 0, `${where}: spawn exactly when starting anew`);
            assert.ok(
              t.effects.every((e) => e.kind !== 'clear-timers') ||
                t.effects[0]?.kind === 'clear-timers',
              `${where}: clear-timers only first`,
            );
            if (to.state === 'running') assert.notEqual(current.state, 'stopping', where);
            const givesUp =
              event.type === 'timer' &&
              event.timer === 'kill' &&
              current.state === 'stopping' &&
              current.killSent;
            assert.equal(t.gaveUpOnTree === true, givesUp, `${where}: gives up on the tree`);
            if (givesUp) assert.notEqual(to.state, 'stopping', `${where}: moves on`);
            checkPolicies(current, event, t.model, t.effects, p, where);
          }
        }
      });
    }
  }
});

// The task, on_exit and kill properties of one transition from `from` by `event` to `to`.
function checkPolicies(
  from: InstanceState,
  event: InstanceEvent,
  m: InstanceModel,
  effects: Effect[],
  p: InstancePolicy,
  where: string,
): void {
  const to = m.current;
  // An end after which the policy decides: the tree of an exited process is gone.
  const ends =
    from.state === 'stopping' &&
    from.intent.kind === 'exit' &&
    ((event.type === 'tree-gone' && from.pid === null) ||
      (event.type === 'timer' && event.timer === 'kill' && from.killSent));
  const restarts = to.state === 'starting' || to.state === 'backoff';
  if (ends && p.onExit === 'shutdown')
    assert.ok(!restarts, `${where}: on_exit: shutdown restarted`);
  if (ends && p.kind === 'task' && from.state === 'stopping' && from.intent.kind === 'exit') {
    const isSuccess =
      from.intent.forced === null &&
      (m.lastExit === null || JSON.stringify(m.lastExit) === '{"code":0}');
    if (isSuccess) assert.equal(to.state, 'exited', `${where}: a task's exit 0 is done`);
    else assert.notEqual(to.state, 'exited', `${where}: a task's failure is not done`);
  }
  if (event.type === 'kill') {
    const live = from.state === 'running' || (from.state === 'starting' && from.pid !== null);
    const killing = from.state === 'stopping' && !from.killSent;
    if (live || killing) {
      assert.deepEqual(
        effects.find((e) => e.kind === 'signal-tree'),
        { kind: 'signal-tree', signal: 'SIGKILL' },
        `${where}: SIGKILL now`,
      );
    }
    assert.ok(
      to.state === 'stopped' || (to.state === 'stopping' && to.intent.kind === 'stop'),
      `${where}: kill ends in a stop`,
    );
  }
}

/** A tiny runtime over the pure function: virtual timers, and processes that always crash. */
class Loop {
  model: InstanceModel;
  now = T0;
  readonly timers = new Map<TimerName, number>();
  readonly seen: string[] = [];
  #pid = 100;

  constructor(
    readonly policy: InstancePolicy,
    readonly code = 1,
  ) {
    this.model = newInstance('web', 0, 1, T0);
  }

  send(event: InstanceEvent): void {
    const t = transition(this.model, event, this.now, this.policy);
    this.model = t.model;
    this.seen.push(t.model.current.state);
    assert.notEqual(t.model.current.state, 'running', 'a crash-looping instance is never running');
    for (const e of t.effects) this.#do(e);
  }

  /** Moves to the next timer and fires it; false when none is pending. */
  fireNext(): boolean {
    const next = [...this.timers].sort((a, b) => a[1] - b[1])[0];
    if (next === undefined) return false;
    this.timers.delete(next[0]);
    this.now = next[1];
    this.send({ type: 'timer', timer: next[0] });
    return true;
  }

  #do(e: Effect): void {
    if (e.kind === 'clear-timers') this.timers.clear();
    if (e.kind === 'set-timer') this.timers.set(e.timer, this.now + e.delayMs);
    if (e.kind === 'spawn') {
      this.send({ type: 'spawned', pid: ++this.#pid });
      this.now += 10; // dies 10ms after the spawn, well before min_uptime
      this.send({ type: 'exited', status: { code: this.code } });
      this.send({ type: 'tree-gone' });
    }
  }
}

void describe('a crash-looping instance', () => {
  void it('goes through backoff to failed and is never running', () => {
    const loop = new Loop(POLICY);
    loop.send({ type: 'start' });
    while (loop.fireNext());
    assert.equal(loop.model.current.state, 'failed');
    assert.equal(loop.model.restarts, 3);
    assert.equal(loop.seen.filter((s) => s === 'backoff').length, 3);
  });

  void it('with a huge burst keeps looping with capped backoff, never running', () => {
    const loop = new Loop({ ...POLICY, startLimit: { burst: 1_000_000, intervalMs: 60_000 } });
    loop.send({ type: 'start' });
    for (let i = 0; i < 500 && loop.fireNext(); i++);
    assert.equal(loop.model.current.state, 'backoff');
    assert.ok(loop.model.restarts >= 200);
    assert.ok(!loop.seen.includes('running'));
    const s = loop.model.current;
    assert.equal(s.state === 'backoff' && s.restartAt - s.since, 1000, 'backoff capped at max');
  });

  void it('is never running even when a stale uptime timer fires at every step', () => {
    const loop = new Loop(POLICY);
    loop.send({ type: 'start' });
    for (let i = 0; i < 20; i++) {
      loop.send({ type: 'timer', timer: 'uptime' });
      loop.send({ type: 'timer', timer: 'reset' });
      if (!loop.fireNext()) break;
    }
    assert.equal(loop.model.current.state, 'failed');
  });
});

void describe('a task', () => {
  void it('that exits 0 at once is done, not a failed start, whatever its restart policy', () => {
    for (const restart of ['always', 'on-failure', 'never'] as const) {
      const loop = new Loop({ ...POLICY, kind: 'task', restart }, 0);
      loop.send({ type: 'start' });
      while (loop.fireNext());
      assert.equal(loop.model.current.state, 'exited', restart);
      const runs = loop.seen.filter((s, i) => s === 'starting' && loop.seen[i - 1] !== s);
      assert.equal(runs.length, 1, `${restart}: ran once`);
      assert.equal(loop.model.runStartedAt, T0);
    }
  });

  void it('that fails follows restart, then ends failed', () => {
    const never = new Loop({ ...POLICY, kind: 'task', restart: 'never' });
    never.send({ type: 'start' });
    while (never.fireNext());
    assert.deepEqual(never.model.current.state === 'failed' && never.model.current.reason, {
      kind: 'task-failed',
      last: 'exit 1',
    });
    const retried = new Loop({ ...POLICY, kind: 'task', restart: 'always' });
    retried.send({ type: 'start' });
    while (retried.fireNext());
    assert.equal(retried.model.current.state, 'failed');
    assert.equal(retried.model.restarts, 3, 'restarted up to the start limit');
  });
});

void describe('on_exit: shutdown', () => {
  void it('is never restarted, even with restart: always', () => {
    const loop = new Loop({ ...POLICY, onExit: 'shutdown' });
    loop.send({ type: 'start' });
    while (loop.fireNext());
    assert.equal(loop.model.current.state, 'exited');
    assert.equal(loop.model.restarts, 0);
  });
});

void describe('a spawn that returns after a stop', () => {
  void it('does not leave the new process running untracked', () => {
    const m = newInstance('web', 0, 1, T0);
    const started = transition(m, { type: 'start' }, T0, POLICY).model;
    const stopped = transition(started, { type: 'stop' }, T0 + 1, POLICY).model;
    assert.equal(stopped.current.state, 'stopped');
    const t = transition(stopped, { type: 'spawned', pid: 4242 }, T0 + 2, POLICY);
    const stopsIt = t.effects.some((e) => e.kind === 'signal-tree');
    const tracksIt = t.model.current.state === 'stopping' && t.model.current.pid === 4242;
    assert.ok(stopsIt || tracksIt, `spawned pid 4242 left alone in ${t.model.current.state}`);
  });
});
