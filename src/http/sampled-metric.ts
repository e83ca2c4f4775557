// The per-instance metrics, formatted here rather than by prom-client: at 1000 instances a
// scrape has 13,000 of their samples, and prom-client's registry spent 150 ms formatting them
// (label objects spread, filtered and joined per line) against 3 ms for `status --json` of the
// same fleet. Here each instance's labels are escaped once, and the lines are written in chunks
// of a few hundred: the whole exposition as one string grown by `+=` was a rope of some 50,000
// pieces (900 KB at 1000 instances) that the HTTP response had to flatten into a large object,
// and it cost the daemon, with its 2 MB young generation, more in garbage collection than the
// formatting itself (docs/benchmarks.md "A scrape against `status --json`"). Keeping each
// sample's line from one scrape to the next saved nothing more and held 3 MB. Text exposition
// format 0.0.4, as prom-client writes it.

/** Hands one sample to the formatter: its labels already formatted, and its value. */
export type Emit = (labels: string, value: number) => void;

/** A gauge or counter (named `_total`) whose samples are computed at each scrape. */
export interface SampledMetric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  /** Calls `emit` once per sample, in order. */
  samples: (emit: Emit) => void;
}

/** `{name="value",...}`'s inside, values escaped (backslash, double quote, newline). */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [k, v] of Object.entries(labels)) {
    const escaped = /[\\"\n]/.test(v)
      ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
      : v;
    out += `${out === '' ? '' : ','}${k}="${escaped}"`;
  }
  return out;
}

// A value as the format writes it: Go's float syntax (NaN, +Inf, -Inf), else JS's.
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Lines per chunk written: about 16 KB at the 60 to 90 bytes of a line. */
const CHUNK_LINES = 200;

/**
 * Writes the exposition of `metrics` (HELP, TYPE and sample lines of each, blank lines between)
 * through `write`, in chunks of CHUNK_LINES lines: each chunk stays a small object of the young
 * generation, where the whole as one string would be a large object.
 */
export function formatSampled(
  metrics: readonly SampledMetric[],
  write: (chunk: string) => void,
): void {
  let chunk = '';
  let lines = 0;
  const push = (text: string): void => {
    chunk += text;
    if (++lines === CHUNK_LINES) {
      write(chunk);
      chunk = '';
      lines = 0;
    }
  };
  metrics.forEach((m, i) => {
    const help = m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    push(`${i === 0 ? '' : '\n'}# HELP ${m.name} ${help}\n# TYPE ${m.name} ${m.type}\n`);
    const open = `${m.name}{`;
    m.samples((labels, value) => push(`${open}${labels}} ${formatValue(value)}\n`));
  });
  if (chunk !== '') write(chunk);
}
