// Restart policy, backoff delay and start limit as plain arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExitStatus } from '../../src/core/exit.js';
import { backoffDelay, recordFailedStart, shouldRestart } from '../../src/core/policy.js';

void describe('shouldRestart (systemd Restart=)', () => {
  const exits: [string, ExitStatus, boolean][] = [
    ['exit 0', { code: 0 }, true],
    ['exit 1', { code: 1 }, false],
    ['exit 127', { code: 127 }, false],
    ['SIGTERM', { signal: 'SIGTERM', coreDumped: false }, true],
    ['SIGHUP', { signal: 'SIGHUP', coreDumped: false }, true],
    ['SIGPIPE', { signal: 'SIGPIPE', coreDumped: false }, true],
    ['SIGKILL', { signal: 'SIGKILL', coreDumped: false }, false],
    ['SIGSEGV', { signal: 'SIGSEGV', coreDumped: true }, false],
    ['SIGABRT', { signal: 'SIGABRT', coreDumped: false }, false],
  ];
  for (const [label, exit, clean] of exits) {
    void it(`${label}: always restarts, on-failure ${clean ? 'does not' : 'does'}, never does not`, () => {
      assert.equal(shouldRestart('always', exit), true);
      assert.equal(shouldRestart('on-failure', exit), !clean);
      assert.equal(shouldRestart('never', exit), false);
    });
  }
});

void describe('backoffDelay', () => {
  const spec = { initialMs: 100, maxMs: 30_000, resetAfterMs: 10_000 };

  void it('doubles from initial per consecutive failure', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(spec, n));
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12_800]);
  });

  void it('is capped at max', () => {
    assert.equal(backoffDelay(spec, 9), 25_600);
    assert.equal(backoffDelay(spec, 10), 30_000);
    assert.equal(backoffDelay(spec, 11), 30_000);
  });

  void it('never overflows to Infinity for huge counts', () => {
    assert.equal(backoffDelay(spec, 1_000_000), 30_000);
    assert.equal(backoffDelay({ ...spec, maxMs: Number.MAX_SAFE_INTEGER }, 5000), 100 * 2 ** 31);
  });

  void it('treats counts below 1 as the first failure', () => {
    assert.equal(backoffDelay(spec, 0), 100);
    assert.equal(backoffDelay(spec, -3), 100);
  });

  void it('initial 0 means immediate restarts', () => {
    assert.equal(backoffDelay({ ...spec, initialMs: 0 }, 7), 0);
  });

  void it('max below initial wins', () => {
    assert.equal(backoffDelay({ ...spec, initialMs: 500, maxMs: 200 }, 1), 200);
  });
});

void describe('recordFailedStart', () => {
  const spec = { burst: 2, intervalMs: 1000 };

  void it('adds now and is exceeded only past burst', () => {
    const a = recordFailedStart(spec, [], 10);
    assert.deepEqual(a, { history: [10], exceeded: false });
    const b = recordFailedStart(spec, a.history, 20);
    assert.deepEqual(b, { history: [10, 20], exceeded: false });
    const c = recordFailedStart(spec, b.history, 30);
    assert.deepEqual(c, { history: [10, 20, 30], exceeded: true });
  });

  void it('drops entries that are intervalMs old or older', () => {
    assert.deepEqual(recordFailedStart(spec, [0, 1, 500], 1000), {
      history: [1, 500, 1000],
      exceeded: true,
    });
    assert.deepEqual(recordFailedStart(spec, [0, 1, 500], 1001), {
      history: [500, 1001],
      exceeded: false,
    });
  });

  void it('does not mutate the history it was given', () => {
    const history = Object.freeze([5, 6]);
    recordFailedStart(spec, history, 7);
    assert.deepEqual(history, [5, 6]);
  });

  void it('burst 0 is exceeded by the first failure', () => {
    assert.equal(recordFailedStart({ burst: 0, intervalMs: 1000 }, [], 0).exceeded, true);
  });
});
