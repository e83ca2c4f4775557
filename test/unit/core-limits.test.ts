// The core's side of `limits`: an OOM kill said as such and counted as a failure, and the
// polled memory limit of process-group mode as a forced stop that restarts as a failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatExit } from '../../src/core/exit.js';
import { newInstance } from '../../src/core/instance.js';
import { NOW, POLICY, running, starting, step, stopped } from '../helpers/core-fixtures.js';

const OOM = { signal: 'SIGKILL', coreDumped: false, oom: true, limit: 512 * 1024 * 1024 } as const;

void describe('OOM kills', () => {
  void it('are said as such, with the limit as the config writes it', () => {
    assert.equal(formatExit(OOM), 'OOM killed (memory 512MB)');
    assert.equal(formatExit({ signal: 'SIGKILL', coreDumped: false, oom: true }), 'OOM killed');
    assert.equal(formatExit({ signal: 'SIGKILL', coreDumped: false }), 'SIGKILL');
    assert.deepEqual([64 << 20, 1.5 * 2 ** 30, 100, 2 ** 40, 72.4 * 2 ** 20].map(formatBytes), [
      '64MB',
      '1.5GB',
      '100B',
      '1TB',
      '72.4MB',
    ]);
  });

  void it('count as a failure: restarted with backoff, and the reason says OOM', () => {
    const m = { ...newInstance('web', 0, 1, 0), current: running };
    const exited = step(m, { type: 'exited', status: OOM });
    const gone = step(exited.model, { type: 'tree-gone' });
    assert.equal(gone.model.current.state, 'backoff');
    assert.deepEqual(gone.model.lastExit, OOM);
    assert.match(gone.reason ?? '', /^OOM killed \(memory 512MB\); restart in \d+ms$/);
    const onFailure = { ...POLICY, restart: 'on-failure' as const };
    const again = step(step(m, { type: 'exited', status: OOM }, onFailure).model, {
      type: 'tree-gone',
    });
    assert.equal(again.model.current.state, 'backoff');
  });
});

void describe('memory-exceeded (the polled memory limit)', () => {
  const event = { type: 'memory-exceeded', bytes: 70 << 20, limitBytes: 64 << 20 } as const;

  void it('stops a live instance with its stop signal, then restarts it as a failure', () => {
    for (const current of [running, starting]) {
      const m = { ...newInstance('web', 0, 1, 0), current };
      const t = step(m, event);
      assert.equal(t.model.current.state, 'stopping');
      assert.equal(t.reason, 'memory limit (polled): 70MB over 64MB: SIGTERM');
      assert.deepEqual(t.effects[1], { kind: 'signal-tree', signal: 'SIGTERM' });
      const exited = step(t.model, { type: 'exited', status: { code: 0 } });
      const gone = step(exited.model, { type: 'tree-gone' });
      assert.equal(gone.model.current.state, 'backoff');
      assert.match(gone.reason ?? '', /^memory limit \(polled\), exit 0; restart in/);
      // restart: never still stops it for good, and says why.
      const never = { ...POLICY, restart: 'never' as const };
      const last = step(
        step(t.model, { type: 'exited', status: { code: 0 } }, never).model,
        {
          type: 'tree-gone',
        },
        never,
      );
      assert.equal(last.model.current.state, 'exited');
    }
  });

  void it('means nothing without a live main process', () => {
    const m = { ...newInstance('web', 0, 1, 0), current: stopped };
    assert.deepEqual(step(m, event).effects, []);
    assert.ok(NOW > 0);
  });
});
