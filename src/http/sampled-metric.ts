// The per-instance metrics, formatted here rather than by prom-client: at 1000 instances a
// scrape has 13,000 of their samples, and prom-client's registry spent 150 ms formatting them
// (label objects spread, filtered and joined per line) against 3 ms for `status --json` of the
// same fleet; here each instance's labels are escaped once and each line is one concatenation
// (docs/benchmarks.md). Text exposition format 0.0.4, as prom-client writes it.

/** One sample: its labels already formatted (`service="web",instance="web:0"`) and its value. */
export interface Sample {
  labels: string;
  value: number;
}

/** A gauge or counter (named `_total`) whose samples are computed at each scrape. */
export interface SampledMetric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: () => Sample[];
}

/** `{name="value",...}`'s inside, values escaped (backslash, double quote, newline). */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(
      ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
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
  return metrics
    .map((m) => {
      const help = m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
      const lines = [`# HELP ${m.name} ${help}`, `# TYPE ${m.name} ${m.type}`];
      for (const s of m.samples()) lines.push(`${m.name}{${s.labels}} ${formatValue(s.value)}`);
      return lines.join('\n');
    })
    .join('\n\n');
}
