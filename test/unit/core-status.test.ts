// The status of an instance as `status --json` shows it, and the small model helpers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  instanceName,
  isActive,
  newInstance,
  pidOf,
  type InstanceModel,
  type InstanceState,
} from '../../src/core/instance.js';
import {
  describeFailure,
  encodeInstance,
  type InstanceObservations,
} from '../../src/core/status.js';

const T0 = 1_700_000_000_000;
const STDERR = ['first', 'second'];
const spawnError = { spawnError: 'ENOENT', path: '/bin/nope', message: 'spawn /bin/nope ENOENT' };

function model(current: InstanceState): InstanceModel {
  return {
    ...newInstance('web', 1, 2, T0),
    current,
    restarts: 3,
    lastExit: { signal: 'SIGSEGV', coreDumped: true },
  };
}

// What a runtime observes of an instance with no readiness check, process or log trouble.
function seen(stderr: readonly string[]): InstanceObservations {
  return {
    stderr,
    stderrSummary: stderr.slice(-1),
    kind: 'service',
    readySource: 'min_uptime',
    statusText: null,
    waiting: null,
    startedAt: null,
    tree: null,
    logs: { droppedLines: 0, error: null },
    health: null,
    watch: null,
    schedule: null,
  };
}

const base = {
  name: 'web:1',
  service: 'web',
  kind: 'service',
  ranMs: null,
  since: T0,
  restarts: 3,
  lastExit: { signal: 'SIGSEGV', coreDumped: true },
};

void describe('encodeInstance of a task', () => {
  void it('gives the kind and how long its last run lasted once it ended', () => {
    const done = { ...model({ state: 'exited', since: T0 + 1200 }), runStartedAt: T0 };
    const status = encodeInstance(done, { ...seen([]), kind: 'task' });
    assert.equal(status.kind, 'task');
    assert.equal(status.ranMs, 1200);
    const running = { ...model({ state: 'running', since: T0 + 500, pid: 9 }), runStartedAt: T0 };
    assert.equal(encodeInstance(running, { ...seen([]), kind: 'task' }).ranMs, null);
  });
});

void describe('encodeInstance', () => {
  const cases: [InstanceState, Record<string, unknown>][] = [
    [
      { state: 'stopped', since: T0, reason: 'stopped by user' },
      { pid: null, reason: 'stopped by user', lastStderr: STDERR },
    ],
    [
      { state: 'starting', since: T0, pid: null },
      { pid: null, reason: null, lastStderr: [] },
    ],
    [
      { state: 'starting', since: T0, pid: 12 },
      { pid: 12, reason: null, lastStderr: [] },
    ],
    [
      { state: 'running', since: T0, pid: 12 },
      { pid: 12, reason: null, lastStderr: [] },
    ],
    [
      { state: 'stopping', since: T0, pid: 12, intent: { kind: 'stop' }, killSent: false },
      { pid: 12, reason: null, lastStderr: STDERR },
    ],
    [
      {
        state: 'stopping',
        since: T0,
        pid: null,
        intent: { kind: 'exit', failedStart: true, forced: null },
        killSent: true,
      },
      { pid: null, reason: null, lastStderr: STDERR },
    ],
    [
      { state: 'backoff', since: T0, restartAt: T0 + 400, attempt: 4 },
      { pid: null, reason: null, lastStderr: STDERR, nextRestartAt: T0 + 400, attempt: 4 },
    ],
    [
      {
        state: 'failed',
        since: T0,
        reason: { kind: 'start-limit', failedStarts: 6, intervalMs: 60_000, last: 'exit 1' },
      },
      {
        pid: null,
        reason: 'start limit: 6 failed starts within 60000ms; last: exit 1',
        lastStderr: STDERR,
      },
    ],
    [
      { state: 'failed', since: T0, reason: { kind: 'spawn-error', error: spawnError } },
      { pid: null, reason: 'spawn failed: spawn /bin/nope ENOENT', lastStderr: STDERR },
    ],
    [
      { state: 'exited', since: T0 },
      { pid: null, reason: null, lastStderr: STDERR },
    ],
    [
      { state: 'failed', since: T0, reason: { kind: 'task-failed', last: 'exit 1' } },
      { pid: null, reason: 'task failed: exit 1', lastStderr: STDERR },
    ],
  ];
  for (const [current, fields] of cases) {
    const pid = 'pid' in current ? ` pid ${String(current.pid)}` : '';
    void it(`${current.state}${pid}`, () => {
      assert.deepEqual(encodeInstance(model(current), seen(STDERR)), {
        ...base,
        state: current.state,
        nextRestartAt: null,
        attempt: null,
        readySource: 'min_uptime',
        statusText: null,
        waiting: null,
        startedAt: null,
        tree: null,
        logs: { droppedLines: 0, error: null },
        health: null,
        watch: null,
        schedule: null,
        stderrSummary: (fields.lastStderr as string[]).slice(-1),
        ...fields,
      });
    });
  }

  void it('copies the stderr lines rather than sharing the array', () => {
    const lines = ['a'];
    const status = encodeInstance(model({ state: 'exited', since: T0 }), seen(lines));
    lines.push('b');
    assert.deepEqual(status.lastStderr, ['a']);
  });

  void it('takes what only the runtime knows as observed, one producer for every field', () => {
    const observed: InstanceObservations = {
      stderr: [],
      stderrSummary: [],
      kind: 'service',
      readySource: 'tcp',
      statusText: 'warming up',
      waiting: 'tcp 127.0.0.1:3000: ECONNREFUSED',
      startedAt: T0 - 5,
      tree: {
        pids: 3,
        memoryBytes: 4096,
        peakMemoryBytes: 8192,
        cpuSeconds: 1.5,
        cpuPercent: 12,
        pressure: { cpuPercent: 0.5, memoryPercent: 0 },
      },
      logs: { droppedLines: 2, error: 'ENOSPC' },
      health: {
        state: 'failing',
        failures: 1,
        threshold: 3,
        lastError: 'connect ECONNREFUSED',
        lastRestart: null,
      },
      watch: { applying: true, lastChangeAt: T0, notApplied: 'new instance failed (exit 1)' },
      schedule: {
        cron: '*/5 * * * *',
        timezone: null,
        overlap: 'skip',
        nextRunAt: T0 + 300_000,
        lastRuns: [{ startedAt: T0 - 60_000, durationMs: 1200, exit: { code: 0 } }],
        skipped: 1,
        queued: false,
      },
    };
    const status = encodeInstance(model({ state: 'running', since: T0, pid: 12 }), observed);
    const { stderr: _, stderrSummary: __, ...fields } = observed;
    assert.deepEqual(
      {
        kind: status.kind,
        readySource: status.readySource,
        statusText: status.statusText,
        waiting: status.waiting,
        startedAt: status.startedAt,
        tree: status.tree,
        logs: status.logs,
        health: status.health,
        watch: status.watch,
        schedule: status.schedule,
      },
      fields,
    );
  });

  void it('a never-started instance', () => {
    assert.deepEqual(encodeInstance(newInstance('db', 0, 1, T0), seen([])), {
      name: 'db',
      service: 'db',
      kind: 'service',
      state: 'stopped',
      pid: null,
      since: T0,
      restarts: 0,
      lastExit: null,
      nextRestartAt: null,
      attempt: null,
      reason: 'never started',
      ranMs: null,
      lastStderr: [],
      stderrSummary: [],
      readySource: 'min_uptime',
      statusText: null,
      waiting: null,
      startedAt: null,
      tree: null,
      logs: { droppedLines: 0, error: null },
      health: null,
      watch: null,
      schedule: null,
    });
  });

  void it('is plain JSON', () => {
    const status = encodeInstance(
      model({ state: 'failed', since: T0, reason: { kind: 'spawn-error', error: spawnError } }),
      seen(STDERR),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(status)), status);
  });
});

void describe('describeFailure', () => {
  void it('words both reasons', () => {
    assert.equal(
      describeFailure({ kind: 'start-limit', failedStarts: 4, intervalMs: 10_000, last: 'exit 1' }),
      'start limit: 4 failed starts within 10000ms; last: exit 1',
    );
    assert.equal(
      describeFailure({ kind: 'spawn-error', error: spawnError }),
      'spawn failed: spawn /bin/nope ENOENT',
    );
  });
});

void describe('instance helpers', () => {
  void it('instanceName: bare for one instance, indexed for several', () => {
    assert.equal(instanceName('web', 0, 1), 'web');
    assert.equal(instanceName('web', 0, 2), 'web:0');
    assert.equal(instanceName('web', 11, 12), 'web:11');
  });

  void it('newInstance: stopped, never started, no history', () => {
    assert.deepEqual(newInstance('web', 2, 3, T0), {
      name: 'web:2',
      service: 'web',
      index: 2,
      current: { state: 'stopped', since: T0, reason: 'never started' },
      restarts: 0,
      consecutiveFailures: 0,
      failedStarts: [],
      lastExit: null,
      runStartedAt: null,
    });
  });

  void it('pidOf and isActive per state', () => {
    const states: [InstanceState, number | null, boolean][] = [
      [{ state: 'stopped', since: 0, reason: '' }, null, false],
      [{ state: 'starting', since: 0, pid: null }, null, true],
      [{ state: 'starting', since: 0, pid: 5 }, 5, true],
      [{ state: 'running', since: 0, pid: 5 }, 5, true],
      [{ state: 'stopping', since: 0, pid: 5, intent: { kind: 'stop' }, killSent: false }, 5, true],
      [{ state: 'backoff', since: 0, restartAt: 1, attempt: 1 }, null, false],
      [{ state: 'exited', since: 0 }, null, false],
    ];
    for (const [s, pid, active] of states) {
      assert.equal(pidOf(s), pid, s.state);
      assert.equal(isActive(s), active, s.state);
    }
  });
});
