// Durations: the accepted forms, the rejected ones and their messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/config/duration.js';

void describe('parseDuration', () => {
  const good: [string | number, number][] = [
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['0.5ms', 1],
    ['0', 0],
    ['250', 250],
    [250, 250],
    [0, 0],
    [12.4, 12],
    [MAX_DURATION_MS, MAX_DURATION_MS],
  ];
  for (const [input, ms] of good) {
    void it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => {
      assert.deepEqual(parseDuration(input), { ok: true, ms });
    });
  }

  const bad: [string | number, string][] = [
    ['10 seconds', '"10 seconds" is not a duration; use e.g. 500ms, 10s, 5m'],
    ['10S', '"10S" is not a duration; use e.g. 500ms, 10s, 5m'],
    ['1d', '"1d" is not a duration; use e.g. 500ms, 10s, 5m'],
    ['-1s', '"-1s" is not a duration; use e.g. 500ms, 10s, 5m'],
    ['.5s', '".5s" is not a duration; use e.g. 500ms, 10s, 5m'],
    ['', '"" is not a duration; use e.g. 500ms, 10s, 5m'],
    [-5, '-5 is not a duration; use e.g. 500ms, 10s, 5m'],
    [Number.NaN, 'NaN is not a duration; use e.g. 500ms, 10s, 5m'],
    [Number.POSITIVE_INFINITY, 'Infinity is not a duration; use e.g. 500ms, 10s, 5m'],
    ['1000h', '"1000h" is too long; the longest duration is 2147483647ms (about 24 days)'],
  ];
  for (const [input, message] of bad) {
    void it(`rejects ${JSON.stringify(input) ?? String(input)}`, () => {
      assert.deepEqual(parseDuration(input), { ok: false, message });
    });
  }
});

void describe('formatDuration', () => {
  void it('picks the largest whole unit, else seconds with a fraction', () => {
    assert.deepEqual([250, 1000, 1500, 60_000, 90_000, 3_600_000, 5_400_000].map(formatDuration), [
      '250ms',
      '1s',
      '1.5s',
      '1m',
      '90s',
      '1h',
      '90m',
    ]);
  });
});
