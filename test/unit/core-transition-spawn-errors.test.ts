// Spawn failures: a wrong program is final (failed); a system short of fds or memory is retried.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpawnFailure } from '../../src/core/exit.js';
import { newInstance } from '../../src/core/instance.js';
import { transition } from '../../src/core/transition.js';
import { POLICY, T0 } from '../helpers/core-fixtures.js';

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
