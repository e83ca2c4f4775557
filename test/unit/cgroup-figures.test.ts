// Reading a leaf cgroup's figures (cgroup-v2.rst, psi.rst) from files shaped as the kernel
// writes them, and saying nothing where a file is missing (no controller, no PSI).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  cpuUsageSeconds,
  memoryPeak,
  pressure,
} from '../../src/effects/containment/cgroup/cgroup-figures.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-cgroup-figures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('cgroup figures', () => {
  void it('reads usage_usec, memory.peak and some avg10 of both pressures', () => {
    writeFileSync(
      join(dir, 'cpu.stat'),
      'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\n',
    );
    writeFileSync(join(dir, 'memory.peak'), '73400320\n');
    writeFileSync(
      join(dir, 'cpu.pressure'),
      'some avg10=12.40 avg60=3.10 avg300=0.70 total=123456\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=1\n',
    );
    writeFileSync(
      join(dir, 'memory.pressure'),
      'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
    );
    assert.equal(cpuUsageSeconds(dir), 2.5);
    assert.equal(memoryPeak(dir), 73400320);
    assert.deepEqual(pressure(dir), { cpuPercent: 12.4, memoryPercent: 0 });
  });

  void it('says undefined where the kernel has no such file', () => {
    const none = join(dir, 'gone');
    assert.equal(cpuUsageSeconds(none), undefined);
    assert.equal(memoryPeak(none), undefined);
    assert.equal(pressure(none), undefined);
  });
});
