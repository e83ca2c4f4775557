// `limits` as the Runner carries them out, in virtual time: the memory of a tree no cgroup
// limits is polled every memory_poll and the instance restarted past it; a tree whose cgroup
// enforces its limits is not polled; a SIGKILL while the tree's cgroup counted an OOM kill
// is reported as one, any other SIGKILL is not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_LIMITS } from '../../src/config/limits.js';
import type { SignalName } from '../../src/core/signals.js';
import type { InstanceTree } from '../../src/effects/containment/containment.js';
import type { SpawnRequest } from '../../src/effects/spawn/spawn.js';
import { lineSink } from '../../src/logs/service-log.js';
import { Runner } from '../../src/runtime/runner/runner.js';
import { fakeTree, makeSpec } from '../helpers/core-fixtures.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeChild } from '../helpers/fake-child.js';

const MB = 1024 * 1024;

// A runner whose tree holds `memory()` bytes; `tree` adds to the fake tree.
function setup(memory: () => number, tree: Partial<InstanceTree> = {}) {
  const clock = new FakeClock();
  const signals: SignalName[] = [];
  const reasons: string[] = [];
  const requests: SpawnRequest[] = [];
  const children: FakeChild[] = [];
  const limits = { ...NO_LIMITS, memoryBytes: 64 * MB, memoryPollMs: 1000 };
  const runner = new Runner({
    spec: makeSpec({ limits, minUptimeMs: 100 }),
    index: 0,
    clock,
    baseEnv: {},
    processes: {
      spawn: (req) => {
        requests.push(req);
        const child = new FakeChild(4000 + children.length);
        children.push(child);
        return child;
      },
      tree: () =>
        fakeTree({
          signal: (signal) => (signals.push(signal), true),
          stats: () => ({
            pids: 1,
            memoryBytes: memory(),
            peakMemoryBytes: memory(),
            cpuSeconds: 0,
            cpuPercent: null,
            pressure: null,
          }),
          ...tree,
        }),
    },
    sink: lineSink(
      () => undefined,
      () => clock.now(),
    ),
    onTransition: (r, from, reason) =>
      reasons.push(`${from.state}→${r.model.current.state}: ${reason}`),
    onError: () => undefined,
  });
  const last = () => children.at(-1) ?? new FakeChild(0);
  return { runner, clock, signals, reasons, requests, last };
}

void describe('Runner: limits', () => {
  void it('polls the memory of a tree no cgroup limits, and restarts it past the limit', () => {
    let bytes = 10 * MB;
    const h = setup(() => bytes);
    h.runner.dispatch({ type: 'start' });
    assert.equal(h.requests[0]?.limits?.memoryBytes, 64 * MB);
    h.clock.advance(5000);
    assert.equal(h.runner.model.current.state, 'running');
    assert.deepEqual(h.signals, []);
    bytes = 70 * MB;
    h.clock.advance(999);
    assert.deepEqual(h.signals, [], 'not before the next poll');
    h.clock.advance(1);
    assert.deepEqual(h.signals, ['SIGTERM', 'SIGCONT']);
    assert.match(
      h.reasons.at(-1) ?? '',
      /running→stopping: memory limit \(polled\): 70MB over 64MB: SIGTERM/,
    );
    h.last().emit('exit', { signal: 'SIGTERM', coreDumped: false });
    assert.match(h.reasons.at(-1) ?? '', /→backoff: memory limit \(polled\), SIGTERM; restart in/);
    // No poll while it waits: nothing is signalled however large the old figure.
    h.clock.advance(50);
    assert.deepEqual(h.signals, ['SIGTERM', 'SIGCONT']);
  });

  void it('stops polling once the runner lets its instance go (down --keep-services)', () => {
    let bytes = 10 * MB;
    const h = setup(() => bytes);
    h.runner.dispatch({ type: 'start' });
    h.clock.advance(1500);
    h.runner.detach();
    bytes = 500 * MB;
    h.clock.advance(10_000);
    assert.deepEqual(h.signals, []);
    assert.equal(h.runner.model.current.state, 'running');
  });

  void it('does not poll where the cgroup enforces the limit', () => {
    const h = setup(() => 500 * MB, { enforcesMemory: true });
    h.runner.dispatch({ type: 'start' });
    h.clock.advance(10_000);
    assert.equal(h.runner.model.current.state, 'running');
    assert.deepEqual(h.signals, []);
  });

  void it('calls a SIGKILL an OOM kill only when the cgroup counted one', () => {
    let oom = false;
    const h = setup(() => 0, { enforcesMemory: true, oomKilled: () => oom });
    h.runner.dispatch({ type: 'start' });
    h.clock.advance(200);
    h.last().emit('exit', { signal: 'SIGKILL', coreDumped: false });
    assert.deepEqual(h.runner.model.lastExit, { signal: 'SIGKILL', coreDumped: false });
    h.clock.advance(60_000);
    oom = true;
    h.last().emit('exit', { signal: 'SIGKILL', coreDumped: false });
    assert.deepEqual(h.runner.model.lastExit, {
      signal: 'SIGKILL',
      coreDumped: false,
      oom: true,
      limit: 64 * MB,
    });
    assert.match(h.reasons.at(-1) ?? '', /OOM killed \(memory 64MB\); restart in/);
  });
});
