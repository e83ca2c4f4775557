// The files of cgroup limits (src/effects/containment/cgroup/cgroup-limits.ts), on a directory
// that stands for a leaf: what is written for each key, what a leaf without a controller does,
// and memory.events read for OOM kills.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NO_LIMITS } from '../../src/config/limits.js';
import {
  enableControllers,
  oomKills,
  writeLimits,
} from '../../src/effects/containment/cgroup/cgroup-limits.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-leaf-'));
const read = (file: string) => readFileSync(join(dir, file), 'utf8');

void describe('cgroup limit files', () => {
  after(() => rmSync(dir, { recursive: true }));

  void it('writes memory.max, memory.high, cpu.max, pids.max and memory.oom.group', () => {
    const limits = { ...NO_LIMITS, memoryBytes: 64 << 20, cpuCores: 0.2, pids: 50 };
    assert.equal(writeLimits(dir, limits), undefined);
    assert.equal(read('memory.max'), String(64 << 20));
    assert.equal(read('memory.high'), 'max');
    assert.equal(read('memory.oom.group'), '1');
    assert.equal(read('cpu.max'), '20000 100000');
    assert.equal(read('pids.max'), '50');
  });

  void it('says which file it could not write, and skips absent files it has nothing for', () => {
    const gone = join(dir, 'no-such-leaf');
    assert.equal(writeLimits(gone, NO_LIMITS), undefined);
    assert.equal(
      writeLimits(gone, { ...NO_LIMITS, pids: 5 }),
      `cannot write 5 to ${join(gone, 'pids.max')}: ENOENT`,
    );
  });

  void it('reads oom_kill from memory.events; 0 without it', () => {
    assert.equal(oomKills(join(dir, 'no-such-leaf')), 0);
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 3\nmax 9\noom 2\noom_kill 2\n');
    assert.equal(oomKills(dir), 2);
  });

  void it('names a controller the hierarchy does not offer', () => {
    const top = mkdtempSync(join(tmpdir(), 'warden-top-'));
    try {
      writeFileSync(join(top, 'cgroup.controllers'), 'hugetlb\n');
      const support = enableControllers(top, join(top, 'warden-x'));
      assert.equal(support.enabled.size, 0);
      assert.match(
        support.missing.get('memory') ?? '',
        /the memory controller is not in .*cgroup\.controllers/,
      );
    } finally {
      rmSync(top, { recursive: true });
    }
  });
});
