// How an instance ended, in the words of tasks and of containers that end: succeeded or
// completed, the reason a held dependent shows, and the exit code `warden run` passes on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LastExit } from '../../src/core/exit.js';
import {
  describeEnd,
  hasCompleted,
  hasSucceeded,
  isFine,
  shellExitCode,
} from '../../src/core/task.js';

const ENOENT: LastExit = { spawnError: 'ENOENT', path: '/bin/nope', message: 'spawn ENOENT' };

void describe('task outcomes', () => {
  void it('succeeded is exited with exit 0; completed is any end for good', () => {
    assert.ok(hasSucceeded({ state: 'exited', lastExit: { code: 0 } }));
    assert.ok(!hasSucceeded({ state: 'exited', lastExit: { code: 1 } }));
    assert.ok(!hasSucceeded({ state: 'running', lastExit: { code: 0 } }));
    assert.ok(hasCompleted({ state: 'failed', lastExit: { code: 1 } }));
    assert.ok(!hasCompleted({ state: 'backoff', lastExit: { code: 1 } }));
    assert.ok(isFine('task', 'exited'));
    assert.ok(!isFine('service', 'exited'));
    assert.ok(!isFine('task', 'failed'));
  });

  void it('says how it ended', () => {
    assert.equal(describeEnd('migrate', { code: 1 }), 'migrate exited 1');
    const killed = { signal: 'SIGKILL', coreDumped: false } as const;
    assert.equal(describeEnd('migrate', killed), 'migrate killed by SIGKILL');
    assert.equal(describeEnd('m', ENOENT), 'm failed (spawn failed: ENOENT (/bin/nope))');
  });

  void it('gives the exit code a shell would: the code, 128+N for signal N, 127 not found', () => {
    assert.equal(shellExitCode({ code: 3 }), 3);
    assert.equal(shellExitCode({ signal: 'SIGTERM', coreDumped: false }), 143);
    assert.equal(shellExitCode({ signal: 'SIGUSR1', coreDumped: false }), 138);
    assert.equal(shellExitCode(ENOENT), 127);
    assert.equal(shellExitCode({ spawnError: 'EACCES', path: '/x', message: '' }), 126);
    assert.equal(shellExitCode({ unknown: 'adopted' }), 1);
    assert.equal(shellExitCode(null), 1);
  });
});
