// Spawn failures: a wrong program is final (failed); a system short of fds or memory is retried.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpawnFailure } from '../../src/core/exit.js';
import { newInstance, pidOf } from '../../src/core/instance.js';
import { transition } from '../../src/core/transition.js';
import {
  modelWithHistory,
  NOW,
  POLICY,
  running,
  starting,
  step,
  stopping,
  T0,
} from '../helpers/core-fixtures.js';

function failSpawn(code: string, restart = POLICY.restart) {
  const policy = { ...POLICY, restart };
  const started = transition(newInstance('web', 0, 1, T0), { type: 'start' }, T0, policy).model;
  const error: SpawnFailure = { spawnError: code, path: '/usr/bin/app', message: `spawn ${code}` };
  return transition(started, { type: 'spawn-failed', error }, T0 + 1, policy);
}

void describe('spawn errors', () => {
  for (const code of ['ENOENT', 'EACCES', 'ENOTDIR', 'ENOEXEC', 'E2BIG']) {
    void it(`${code} is final: failed, not retried`, () => {
      const t = failSpawn(code);
      assert.equal(t.model.current.state, 'failed');
      assert.equal(t.model.restarts, 0);
      assert.ok(!t.effects.some((e) => e.kind === 'set-timer'));
    });
  }

  for (const code of ['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM', 'ETXTBSY']) {
    void it(`${code} is transient: backoff, counted as a failed start`, () => {
      const t = failSpawn(code);
      assert.equal(t.model.current.state, 'backoff');
      assert.deepEqual(t.model.failedStarts, [T0 + 1]);
      assert.deepEqual(t.model.lastExit, {
        spawnError: code,
        path: '/usr/bin/app',
        message: `spawn ${code}`,
      });
      assert.ok(t.effects.some((e) => e.kind === 'set-timer' && e.timer === 'backoff'));
    });
  }

  void it('a transient error with restart: never is final', () => {
    assert.equal(failSpawn('EMFILE', 'never').model.current.state, 'failed');
  });
});

void describe('exec failures after the fork (a start through warden-spawner)', () => {
  const error: SpawnFailure = {
    spawnError: 'ENOENT',
    path: './run.sh',
    message: 'spawn ./run.sh: execve failed: ENOENT',
  };

  for (const from of [starting, running]) {
    void it(`in ${from.state}: failed with the errno, never "exit 127"`, () => {
      const t = step(modelWithHistory(from), { type: 'exec-failed', pid: 42, error });
      assert.deepEqual(t.model.current, {
        state: 'failed',
        since: NOW,
        reason: { kind: 'spawn-error', error },
      });
      assert.deepEqual(t.model.lastExit, error);
      assert.ok(t.effects.some((e) => e.kind === 'clear-timers'));
    });
  }

  void it('a transient one (ETXTBSY) is retried as a failed start', () => {
    const busy = { ...error, spawnError: 'ETXTBSY' };
    const t = step(modelWithHistory(starting), { type: 'exec-failed', pid: 42, error: busy });
    assert.equal(t.model.current.state, 'backoff');
    assert.deepEqual(t.model.lastExit, busy);
  });

  void it('while stopping: it ended as a stop, with the failure kept as the last exit', () => {
    const from = stopping({ kind: 'stop' });
    const t = step(modelWithHistory(from), { type: 'exec-failed', pid: 42, error });
    assert.equal(t.model.current.state, 'stopping');
    assert.equal(pidOf(t.model.current), null);
    assert.deepEqual(t.model.lastExit, error);
  });

  void it('about another pid: nothing changes', () => {
    const m = modelWithHistory(running);
    assert.equal(step(m, { type: 'exec-failed', pid: 7, error }).model, m);
  });
});
