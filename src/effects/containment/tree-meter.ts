// The figures of one instance's tree (core/status.ts TreeFigures) from readings taken when they
// are cheap anyway: at each status call in cgroup mode, at each /proc pass in process-group mode.
// CPU % needs two samples of the CPU time: the meter keeps the few of the last second or so, so
// that many callers (status, ps, top, metrics) share one window and none needs a timer.
import type { TreeFigures } from '../../core/status.js';

/** CPU % spans at least this much time when samples allow (ms). */
export const CPU_WINDOW_MS = 1000;
/** Samples closer than this to the newest one replace it (ms): the kept list stays short. */
const SPACING_MS = 100;

/** What one reading of a tree found. */
export interface TreeReading {
  pids: number;
  memoryBytes: number;
  /** CPU time of the run so far (s). */
  cpuSeconds: number;
  /** The kernel's own peak (cgroup memory.peak), when it keeps one. */
  peakMemoryBytes?: number;
  pressure: TreeFigures['pressure'];
}

interface Sample {
  /** ms since the epoch */
  at: number;
  cpuSeconds: number;
}

/** The CPU samples and the peak memory of one instance's tree, across its runs. */
export class TreeMeter {
  #samples: Sample[] = [];
  #peak = 0;
  #last: TreeFigures | undefined;

  /** A new run started at `at` (ms since the epoch): its CPU time was 0 then. */
  begin(at: number): void {
    this.#samples = [{ at, cpuSeconds: 0 }];
  }

  /** A run taken back from an earlier daemon: no earlier sample of it is known. */
  forget(): void {
    this.#samples = [];
  }

  /** The figures of the last reading; undefined before any. */
  get last(): TreeFigures | undefined {
    return this.#last;
  }

  /** Records the reading `r` taken at `at` (ms since the epoch) and returns the figures. */
  read(at: number, r: TreeReading): TreeFigures {
    this.#peak = Math.max(this.#peak, r.peakMemoryBytes ?? 0, r.memoryBytes);
    const cpuPercent = this.#sample({ at, cpuSeconds: r.cpuSeconds });
    this.#last = {
      pids: r.pids,
      memoryBytes: r.memoryBytes,
      peakMemoryBytes: this.#peak,
      cpuSeconds: Math.round(r.cpuSeconds * 1e6) / 1e6,
      cpuPercent,
      pressure: r.pressure,
    };
    return this.#last;
  }

  // Keeps `s` and returns the CPU % from the newest sample at least CPU_WINDOW_MS older (else the
  // oldest kept) to `s`.
  #sample(s: Sample): number | null {
    const samples = this.#samples;
    const newest = samples.at(-1);
    // Less CPU than before: a process that had used some ended (process-group sums): start afresh.
    if (newest !== undefined && s.cpuSeconds < newest.cpuSeconds) samples.length = 0;
    if (newest !== undefined && samples.length > 1 && s.at - newest.at < SPACING_MS) samples.pop();
    samples.push(s);
    while (samples.length > 2 && (samples[1]?.at ?? 0) <= s.at - CPU_WINDOW_MS) samples.shift();
    const first = samples[0];
    if (first === undefined || first === s || s.at <= first.at) return null;
    const percent = (100 * (s.cpuSeconds - first.cpuSeconds) * 1000) / (s.at - first.at);
    return Math.round(percent * 10) / 10;
  }
}
