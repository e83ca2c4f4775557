// How the CLI lists instances on one line (src/cli/output.ts instanceList): a long run of one
// service's instances in one short part, everything else name by name, in the order given.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instanceList } from '../../src/cli/output.js';

void describe('instanceList', () => {
  void it('writes a run of four or more numbered instances as its ends and its count', () => {
    const fleet = Array.from({ length: 1000 }, (_, i) => `fleet:${i}`);
    assert.equal(instanceList(fleet), 'fleet:0 ... fleet:999 (1000 instances)');
    assert.equal(
      instanceList(['db', ...fleet.slice(10, 14), 'web:0', 'web:1']),
      'db, fleet:10 ... fleet:13 (4 instances), web:0, web:1',
    );
  });

  void it('lists short runs, gaps and unnumbered names one by one', () => {
    assert.equal(instanceList(['a:0', 'a:1', 'a:2']), 'a:0, a:1, a:2');
    assert.equal(instanceList(['a:0', 'a:1', 'a:3', 'a:4']), 'a:0, a:1, a:3, a:4');
    assert.equal(instanceList(['x', 'y']), 'x, y');
    assert.equal(instanceList([]), '');
  });

  void it('does not join instances of different services', () => {
    assert.equal(instanceList(['a:0', 'a:1', 'b:2', 'b:3']), 'a:0, a:1, b:2, b:3');
  });
});
