// The per-instance metrics, formatted here rather than by prom-client: at 1000 instances a
// scrape has 13,000 of their samples, and prom-client's registry spent 150 ms formatting them
// (label objects spread, filtered and joined per line) against 3 ms for `status --json` of the
// same fleet. Here each instance's labels are escaped once per scrape, each sample goes straight
// into one string (no object or array per line: an array of lines joined at the end cost twice
// as much), and a scrape costs no more than `status --json` (`npm run bench:scrape`,
// docs/benchmarks.md). Text exposition format 0.0.4, as prom-client writes it.

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

/** The exposition of `metrics`: HELP, TYPE and sample lines of each, blank lines between. */
export function formatSampled(metrics: readonly SampledMetric[]): string {
  let out = '';
  for (const m of metrics) {
    const help = m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    if (out !== '') out += '\n';
    out += `# HELP ${m.name} ${help}\n# TYPE ${m.name} ${m.type}\n`;
    const open = `${m.name}{`;
    m.samples((labels, value) => {
      out += open + labels + '} ' + formatValue(value) + '\n';
    });
  }
  return out;
}
