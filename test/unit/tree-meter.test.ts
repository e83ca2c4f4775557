// The figures of a tree from its readings: CPU % over a window of at least a second shared by
// every caller, a peak kept across runs, and no figure made up before there are two samples.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CPU_WINDOW_MS,
  TreeMeter,
  type TreeReading,
} from '../../src/effects/containment/tree-meter.js';

const T = 1_800_000_000_000;

function reading(cpuSeconds: number, memoryBytes = 1000): TreeReading {
  return { pids: 1, memoryBytes, cpuSeconds, pressure: null };
}

void describe('TreeMeter', () => {
  void it('gives the CPU % since the spawn for the first reading', () => {
    const m = new TreeMeter();
    m.begin(T);
    assert.equal(m.read(T + 500, reading(0.25)).cpuPercent, 50);
  });

  void it('spans at least a second once samples allow, however often it is read', () => {
    const m = new TreeMeter();
    m.begin(T);
    m.read(T + 1000, reading(1)); // 100% for the first second
    m.read(T + 2000, reading(1)); // idle for the next
    // Read again 10 ms later: the window is the last second or more, not 10 ms.
    const f = m.read(T + 2010, reading(1.001));
    assert.ok(f.cpuPercent !== null && f.cpuPercent < 1, String(f.cpuPercent));
    const g = m.read(T + 2010 + CPU_WINDOW_MS, reading(1.5));
    assert.ok(g.cpuPercent !== null && Math.abs(g.cpuPercent - 50) < 1, String(g.cpuPercent));
  });

  void it('gives two cores as 200%', () => {
    const m = new TreeMeter();
    m.begin(T);
    assert.equal(m.read(T + 2000, reading(4)).cpuPercent, 200);
  });

  void it('says null for an adopted tree until a second sample', () => {
    const m = new TreeMeter();
    m.forget();
    assert.equal(m.read(T, reading(100)).cpuPercent, null);
    assert.equal(m.read(T + 1000, reading(100.5)).cpuPercent, 50);
  });

  void it('starts afresh when the CPU time falls (a busy process of the sum ended)', () => {
    const m = new TreeMeter();
    m.begin(T);
    m.read(T + 1000, reading(5));
    assert.equal(m.read(T + 2000, reading(1)).cpuPercent, null);
    assert.equal(m.read(T + 3000, reading(1.1)).cpuPercent, 10);
  });

  void it('keeps the peak memory across runs, the kernel peak when there is one', () => {
    const m = new TreeMeter();
    m.begin(T);
    m.read(T + 100, reading(0, 5000));
    assert.equal(m.read(T + 200, reading(0, 3000)).peakMemoryBytes, 5000);
    m.begin(T + 300);
    assert.equal(m.read(T + 400, reading(0, 1000)).peakMemoryBytes, 5000);
    const kernel = { ...reading(0, 1000), peakMemoryBytes: 9000 };
    assert.equal(m.read(T + 500, kernel).peakMemoryBytes, 9000);
  });
});
