// The per-instance part of GET /metrics (src/http/sampled-metric.ts): written in chunks, it must
// come out as the text format has it, the same whatever the chunking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLabels, formatSampled, type SampledMetric } from '../../src/http/sampled-metric.js';

// A gauge over `values` (labels -> value).
function gauge(name: string, values: Map<string, number>): SampledMetric {
  return {
    name,
    help: `help of ${name}`,
    type: 'gauge',
    samples: (emit) => {
      for (const [labels, value] of values) emit(labels, value);
    },
  };
}

function formatted(metrics: SampledMetric[]): string {
  let text = '';
  formatSampled(metrics, (chunk) => (text += chunk));
  return text;
}

void describe('formatSampled', () => {
  void it('writes HELP, TYPE and samples of each metric, a blank line between', () => {
    const values = new Map([
      ['instance="a"', 1],
      ['instance="b"', NaN],
    ]);
    const head = (name: string) => `# HELP ${name} help of ${name}\n# TYPE ${name} gauge\n`;
    assert.equal(
      formatted([gauge('m_one', values), gauge('m_two', new Map([['instance="a"', Infinity]]))]),
      `${head('m_one')}m_one{instance="a"} 1\nm_one{instance="b"} NaN\n\n` +
        `${head('m_two')}m_two{instance="a"} +Inf\n`,
    );
  });

  void it('comes out the same in many chunks as in one, each chunk whole lines', () => {
    const values = new Map<string, number>();
    for (let i = 0; i < 1000; i++) values.set(formatLabels({ instance: `web:${i}` }), i);
    const chunks: string[] = [];
    formatSampled([gauge('m', values)], (chunk) => chunks.push(chunk));
    assert.ok(chunks.length > 1, `${chunks.length} chunk(s) for 1000 lines`);
    for (const chunk of chunks) assert.ok(chunk.endsWith('\n'), 'a chunk ends a line');
    const lines = chunks
      .join('')
      .split('\n')
      .filter((l) => !l.startsWith('#') && l !== '');
    assert.deepEqual(
      lines,
      [...values].map(([labels, value]) => `m{${labels}} ${value}`),
    );
  });

  void it('escapes label values as the format requires', () => {
    assert.equal(
      formatLabels({ service: 'a"b\\c\nd', instance: 'x' }),
      'service="a\\"b\\\\c\\nd",instance="x"',
    );
  });
});
