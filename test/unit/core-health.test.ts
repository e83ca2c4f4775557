// health: probes after `running` (liveness). Failures below the threshold keep the instance
// running and say so; a success resets the count; the threshold stops it as a failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceModel } from '../../src/core/instance.js';
import type { InstancePolicy } from '../../src/core/transition.js';
import { modelWithHistory, NOW, POLICY, running, step, T0 } from '../helpers/core-fixtures.js';

const HEALTH: InstancePolicy = {
  ...POLICY,
  health: {
    check: { kind: 'tcp', host: '127.0.0.1', port: 1 },
    intervalMs: 1000,
    timeoutMs: 500,
    failures: 3,
    startPeriodMs: 0,
  },
};

function fail(m: InstanceModel, error = 'connect ECONNREFUSED'): InstanceModel {
  return step(m, { type: 'health', error }, HEALTH).model;
}

void describe('health', () => {
  void it('counts failed probes in running, below the threshold, with the last error', () => {
    const t = step(
      modelWithHistory(running),
      { type: 'health', error: 'connect ECONNREFUSED' },
      HEALTH,
    );
    assert.equal(t.model.current.state, 'running');
    assert.deepEqual(t.model.current, {
      ...running,
      health: { failures: 1, error: 'connect ECONNREFUSED' },
    });
    assert.deepEqual(t.effects, []);
    assert.equal(t.reason, 'health: failing (1/3): connect ECONNREFUSED');
  });

  void it('a passed probe resets the count', () => {
    const m = fail(fail(modelWithHistory(running)));
    const t = step(m, { type: 'health', error: null }, HEALTH);
    assert.deepEqual(t.model.current, running);
    assert.match(t.reason ?? '', /health check passed again/);
    const again = fail(fail(t.model));
    assert.equal(again.current.state, 'running');
  });

  void it('the threshold stops the instance as a forced failure, then backs off', () => {
    const m = fail(fail(modelWithHistory(running)));
    const t = step(m, { type: 'health', error: 'connect ECONNREFUSED' }, HEALTH);
    const s = t.model.current;
    assert.equal(s.state, 'stopping');
    assert.ok(s.state === 'stopping' && s.intent.kind === 'exit' && s.intent.forced === 'health');
    assert.equal(t.reason, 'health check failed 3 times: connect ECONNREFUSED: SIGTERM');
    assert.deepEqual(t.effects.slice(1, 2), [{ kind: 'signal-tree', signal: 'SIGTERM' }]);
    const exited = step(
      t.model,
      { type: 'exited', status: { signal: 'SIGTERM', coreDumped: false } },
      HEALTH,
    );
    const gone = step(exited.model, { type: 'tree-gone' }, HEALTH);
    assert.equal(gone.model.current.state, 'backoff');
    assert.match(gone.reason ?? '', /^health check failed, SIGTERM; restart in/);
  });

  void it('a failure restarts even with restart: on-failure after a clean exit', () => {
    const p = { ...HEALTH, restart: 'on-failure' as const };
    let m = modelWithHistory(running);
    for (let i = 0; i < 3; i++) m = step(m, { type: 'health', error: 'HTTP 503' }, p).model;
    m = step(m, { type: 'exited', status: { code: 0 } }, p).model;
    assert.notEqual(step(m, { type: 'tree-gone' }, p).model.current.state, 'exited');
  });

  void it('is ignored outside running and without health', () => {
    const starting = { state: 'starting', since: T0, pid: 42 } as const;
    const t = step(modelWithHistory(starting), { type: 'health', error: 'x' }, HEALTH);
    assert.deepEqual(t.model.current, starting);
    const none = step(modelWithHistory(running), { type: 'health', error: 'x' }, POLICY);
    assert.deepEqual(none.model.current, running);
    assert.equal(NOW > T0, true);
  });
});
