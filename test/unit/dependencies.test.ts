// Start order on readiness: ordering, cycles, what a waiting service does, stop batches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCycles, startOrder } from '../../src/config/dependencies.js';
import { parseTcpTarget } from '../../src/config/readiness.js';
import type { Dependency } from '../../src/config/types.js';
import type { LastExit } from '../../src/core/exit.js';
import type { StateName } from '../../src/core/instance.js';
import {
  judgeDependencies,
  stopBatches,
  withDependencies,
} from '../../src/runtime/dependencies.js';

const on = (...names: string[]): Dependency[] =>
  names.map((service) => ({ service, condition: 'running' }));
const graph = (entries: [string, Dependency[]][]) => new Map(entries);

void describe('dependency graph', () => {
  const g = graph([
    ['web', on('db', 'cache')],
    ['worker', on('web')],
    ['db', []],
    ['cache', on('db')],
  ]);

  void it('orders each service after its dependencies, ties in file order', () => {
    assert.deepEqual(startOrder(g), ['db', 'cache', 'web', 'worker']);
  });

  void it('finds cycles, self-dependencies included', () => {
    assert.deepEqual(findCycles(g), []);
    assert.deepEqual(
      findCycles(
        graph([
          ['a', on('b')],
          ['b', on('c')],
          ['c', on('a')],
        ]),
      ),
      [['a', 'b', 'c']],
    );
    assert.deepEqual(findCycles(graph([['a', on('a')]])), [['a']]);
  });

  void it('pulls in dependencies transitively, in start order', () => {
    const deps = (n: string) => g.get(n) ?? [];
    assert.deepEqual(withDependencies(['worker'], deps, startOrder(g)), [
      'db',
      'cache',
      'web',
      'worker',
    ]);
    assert.deepEqual(withDependencies(['cache'], deps, startOrder(g)), ['db', 'cache']);
  });

  void it('stops dependents before their dependencies', () => {
    const deps = (n: string) => g.get(n) ?? [];
    assert.deepEqual(stopBatches(startOrder(g), deps), [['worker'], ['web'], ['cache'], ['db']]);
    assert.deepEqual(
      stopBatches(['a', 'b'], () => []),
      [['a', 'b']],
      'independent ones together',
    );
  });
});

void describe('judgeDependencies', () => {
  const states = (m: Record<string, StateName[]>) => (n: string) =>
    (m[n] ?? []).map((state) => ({ name: n, state, lastExit: null, stderr: () => [] }));
  const none = new Set<string>();

  void it('goes once every dependency meets its condition', () => {
    assert.deepEqual(judgeDependencies(on('db'), states({ db: ['running'] }), none), {
      kind: 'go',
    });
    const started: Dependency[] = [{ service: 'db', condition: 'started' }];
    assert.deepEqual(judgeDependencies(started, states({ db: ['starting'] }), none), {
      kind: 'go',
    });
  });

  void it('waits while a dependency starts, backs off or waits itself', () => {
    for (const s of ['starting', 'backoff', 'stopping'] as StateName[]) {
      assert.deepEqual(judgeDependencies(on('db'), states({ db: [s] }), none), {
        kind: 'wait',
        reason: 'waiting for db (running)',
      });
    }
    const waiting = new Set(['db']);
    assert.equal(judgeDependencies(on('db'), states({ db: ['stopped'] }), waiting).kind, 'wait');
  });

  void it('gives up when a dependency failed, exited or was stopped', () => {
    assert.deepEqual(judgeDependencies(on('db'), states({ db: ['failed'] }), none), {
      kind: 'blocked',
      reason: 'dependency db failed',
      stderr: [],
    });
    assert.equal(
      judgeDependencies(on('db'), states({ db: ['running', 'exited'] }), none).kind,
      'blocked',
    );
    assert.deepEqual(judgeDependencies(on('db'), states({ db: ['stopped'] }), none), {
      kind: 'blocked',
      reason: 'dependency db stopped',
      stderr: [],
    });
  });

  void it('waits for a task to complete or succeed; a failed one holds with its end and stderr', () => {
    const task = (state: StateName, lastExit: LastExit | null) => () => [
      { name: 'migrate', state, lastExit, stderr: () => ['ERROR: no table'] },
    ];
    const when = (condition: Dependency['condition']): Dependency[] => [
      { service: 'migrate', condition },
    ];
    const ok = task('exited', { code: 0 });
    const bad = task('failed', { code: 1 });
    assert.equal(judgeDependencies(when('succeeded'), ok, none).kind, 'go');
    assert.equal(judgeDependencies(when('completed'), ok, none).kind, 'go');
    assert.equal(judgeDependencies(when('completed'), bad, none).kind, 'go');
    assert.deepEqual(judgeDependencies(when('succeeded'), bad, none), {
      kind: 'blocked',
      reason: 'migrate exited 1',
      stderr: ['ERROR: no table'],
    });
    const killed = task('exited', { signal: 'SIGKILL', coreDumped: false });
    assert.equal(judgeDependencies(when('succeeded'), killed, none).kind, 'blocked');
    for (const condition of ['succeeded', 'completed'] as const) {
      assert.deepEqual(judgeDependencies(when(condition), task('running', null), none), {
        kind: 'wait',
        reason: `waiting for migrate (${condition})`,
      });
    }
  });
});

void describe('ready.tcp targets', () => {
  void it('parses PORT, HOST:PORT and [v6]:PORT', () => {
    assert.deepEqual(parseTcpTarget(3000), { host: '127.0.0.1', port: 3000 });
    assert.deepEqual(parseTcpTarget('localhost:80'), { host: 'localhost', port: 80 });
    assert.deepEqual(parseTcpTarget('[::1]:8080'), { host: '::1', port: 8080 });
    assert.equal(parseTcpTarget(70000), undefined);
    assert.equal(parseTcpTarget('web'), undefined);
  });
});
