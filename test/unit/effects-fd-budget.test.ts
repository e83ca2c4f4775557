// The fd budget of starts: a start that would eat into the reserve is refused with the limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatExit } from '../../src/core/exit.js';
import {
  countOpenFds,
  describeFdLimit,
  FD_RESERVE,
  FdBudget,
  fdsNeeded,
  FDS_OF_DAEMON,
  FDS_PER_INSTANCE,
} from '../../src/effects/spawn/fd-budget.js';
import { openFilesLimit } from '../../src/effects/ffi/process.js';

void describe('fd budget', () => {
  void it('grants what fits beside the reserve and refuses the rest with the limit', () => {
    const limit = openFilesLimit().soft;
    const budget = new FdBudget();
    const open = countOpenFds(limit);
    assert.ok(open > 0 && open < limit);
    assert.equal(budget.shortage(FDS_PER_INSTANCE), undefined);
    assert.equal(budget.shortage(limit - open - FD_RESERVE + 1), limit);
    assert.equal(budget.shortage(1), undefined, 'a refusal takes nothing');
  });

  void it('counts what a config needs', () => {
    const needed = fdsNeeded([
      { instances: 3, pipes: 0 },
      { instances: 2, pipes: 1 },
    ]);
    assert.equal(
      needed,
      FDS_OF_DAEMON + FD_RESERVE + 3 * FDS_PER_INSTANCE + 2 * (FDS_PER_INSTANCE + 1),
    );
  });

  void it('says the limit in the exit reason', () => {
    const detail = describeFdLimit(64);
    const exit = { spawnError: 'EMFILE', path: 'sleep', message: 'spawn sleep: EMFILE', detail };
    assert.equal(formatExit(exit), 'spawn failed: EMFILE (sleep; open files limit 64 reached)');
    assert.equal(
      formatExit({ spawnError: 'ENOENT', path: 'nope', message: 'spawn nope: ENOENT' }),
      'spawn failed: ENOENT (nope)',
    );
  });
});
