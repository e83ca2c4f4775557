// The counters of GET /metrics that must only rise (src/http/instance-counters.ts): restarts
// across a user's start (which resets the model's count), and exits by reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceModel, InstanceState } from '../../src/core/instance.js';
import { newInstance } from '../../src/core/instance.js';
import type { InstanceStatus } from '../../src/core/status.js';
import { InstanceCounters } from '../../src/http/instance-counters.js';
import type { ObservedInstance } from '../../src/http/source.js';

// An instance whose model the test sets, as a runner would change it.
function fake(): ObservedInstance & { set(m: Partial<InstanceModel>): void } {
  let model = newInstance('web', 0, 1, 0);
  return {
    name: 'web',
    get model() {
      return model;
    },
    status: () => ({ startedAt: 1000 }) as InstanceStatus,
    set(m) {
      model = { ...model, ...m };
    },
  };
}

const state = (s: InstanceState) => ({ current: s });

void describe('InstanceCounters', () => {
  void it('counts restarts that only rise, across a reset by a user start', () => {
    const inst = fake();
    const counters = new InstanceCounters(() => undefined);
    counters.observe(inst);
    inst.set({ restarts: 1 });
    counters.observe(inst);
    inst.set({ restarts: 3 });
    counters.observe(inst);
    inst.set({ restarts: 0 }); // `warden start` after `failed`
    counters.observe(inst);
    inst.set({ restarts: 1 });
    counters.observe(inst);
    assert.equal(counters.restarts('web'), 4);
  });

  void it('counts each new exit once, by reason; a stop asked for is a stop', () => {
    const inst = fake();
    const ready: number[] = [];
    const counters = new InstanceCounters((_i, seconds) => ready.push(seconds));
    counters.observe(inst);
    inst.set(state({ state: 'starting', since: 1000, pid: 5 }));
    counters.observe(inst);
    inst.set(state({ state: 'running', since: 2500, pid: 5 }));
    counters.observe(inst);
    inst.set({
      lastExit: { code: 1 },
      ...state({ state: 'backoff', since: 3000, restartAt: 3100, attempt: 1 }),
    });
    counters.observe(inst);
    counters.observe(inst); // the same exit seen again (a scrape) is not counted twice
    inst.set(state({ state: 'starting', since: 3100, pid: 6 }));
    counters.observe(inst);
    const intent = { kind: 'exit', failedStart: false, forced: 'watchdog' } as const;
    inst.set(state({ state: 'stopping', since: 4000, pid: 6, intent, killSent: false }));
    counters.observe(inst);
    inst.set({
      lastExit: { signal: 'SIGABRT', coreDumped: false },
      ...state({ state: 'backoff', since: 4100, restartAt: 4200, attempt: 2 }),
    });
    counters.observe(inst);
    inst.set(
      state({ state: 'stopping', since: 5000, pid: 7, intent: { kind: 'stop' }, killSent: false }),
    );
    counters.observe(inst);
    inst.set({
      lastExit: { signal: 'SIGTERM', coreDumped: false },
      ...state({ state: 'stopped', since: 5100, reason: 'stopped by user' }),
    });
    counters.observe(inst);
    inst.set({ lastExit: { spawnError: 'ENOENT', path: '/nope', message: 'spawn /nope ENOENT' } });
    counters.observe(inst);
    assert.deepEqual(Object.fromEntries(counters.exits('web')), {
      exit: 1,
      watchdog: 1,
      stop: 1,
      spawn_error: 1,
    });
    assert.deepEqual(ready, [1.5]);
  });

  void it('counts an OOM kill as oom, any other SIGKILL as signal', () => {
    const inst = fake();
    const counters = new InstanceCounters(() => undefined);
    counters.observe(inst);
    inst.set({
      lastExit: { signal: 'SIGKILL', coreDumped: false, oom: true, limit: 67108864 },
      ...state({ state: 'backoff', since: 1000, restartAt: 1100, attempt: 1 }),
    });
    counters.observe(inst);
    inst.set(state({ state: 'starting', since: 1100, pid: 8 }));
    counters.observe(inst);
    inst.set({
      lastExit: { signal: 'SIGKILL', coreDumped: false },
      ...state({ state: 'backoff', since: 2000, restartAt: 2100, attempt: 2 }),
    });
    counters.observe(inst);
    assert.deepEqual(Object.fromEntries(counters.exits('web')), { oom: 1, signal: 1 });
  });

  void it('forgets removed instances', () => {
    const inst = fake();
    const counters = new InstanceCounters(() => undefined);
    counters.observe(inst);
    inst.set({ restarts: 2 });
    counters.observe(inst);
    counters.keepOnly(new Set());
    assert.equal(counters.restarts('web'), 0);
  });
});
