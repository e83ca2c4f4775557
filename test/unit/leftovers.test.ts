// The leftover trees of an earlier daemon: the marker naming the home, and taking trees back only
// where the system's evidence matches (same leaf or marker, same pid and start time).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  invocationValue,
  parseInvocation,
  type LeftoverTree,
} from '../../src/effects/containment/leftovers.js';
import { Leftovers, recordOf } from '../../src/runtime/leftovers.js';

function tree(over: Partial<LeftoverTree>): LeftoverTree {
  return {
    service: 'web',
    index: 0,
    pid: 100,
    startTime: 5000,
    startedAt: 1_000_000,
    spawnedAs: 'abcd',
    tree: { cgroup: '/sys/fs/cgroup/warden-x/web' },
    pipes: null,
    members: [{ pid: 100, startTime: 5000 }],
    ...over,
  };
}

void describe('leftovers', () => {
  void it('a marker names its home and definition; another home is not ours', () => {
    const value = invocationValue('0123456789ab', 'feedfacefeedface');
    assert.match(value, /^0123456789ab\.feedfacefeedface\.[0-9a-f]{16}$/);
    assert.deepEqual(parseInvocation(value, '0123456789ab'), { spawnedAs: 'feedfacefeedface' });
    assert.equal(parseInvocation(value, 'ba9876543210'), undefined);
    assert.equal(parseInvocation('0123456789abcdef', '0123456789ab'), undefined, 'an old marker');
    assert.equal(parseInvocation(undefined, '0123456789ab'), undefined);
  });

  void it('a recorded process is taken only with its own tree, pid and start time', () => {
    const found = new Leftovers([tree({})]);
    const rec = recordOf(tree({}));
    assert.equal(found.takeRecorded({ ...rec, startTime: 4999 }), undefined, 'a recycled pid');
    assert.equal(
      found.takeRecorded({ ...rec, tree: { cgroup: '/sys/fs/cgroup/elsewhere' } }),
      undefined,
      'a leaf outside the home',
    );
    assert.equal(
      found.takeRecorded({ ...rec, tree: { marker: 'WARDEN_INVOCATION=x' } }),
      undefined,
    );
    assert.equal(found.takeRecorded(rec)?.pid, 100);
    assert.equal(found.size, 0, 'taken once');
    assert.equal(found.takeRecorded(rec), undefined);
  });

  void it('trees are taken per instance; what is left is taken all at once', () => {
    const found = new Leftovers([
      tree({ index: 1, pid: 201 }),
      tree({ index: 0, pid: 200 }),
      tree({ index: 0, pid: 300 }),
      tree({ service: null, index: null, pid: 400 }),
    ]);
    assert.equal(found.takeFor('web', 0)?.pid, 200);
    assert.equal(found.takeFor('web', 1)?.pid, 201);
    assert.equal(found.takeFor('api', 0), undefined);
    assert.deepEqual(
      found.takeAll().map((t) => t.pid),
      [300, 400],
      'a second tree of web:0 and an unknown one',
    );
    assert.equal(found.size, 0);
  });
});
