// A Capture for log tests: web:0's stdout, text format, a fixed clock, partial lines kept.
import type { CaptureOptions } from '../../src/logs/capture.js';

/** The time every test line is stamped with. */
export const T = Date.parse('2026-01-02T03:04:05.006Z');

/** Capture options with test defaults; `write` (and anything else) from `over`. */
export function captureOptions(
  over: Partial<CaptureOptions> & Pick<CaptureOptions, 'write'>,
): CaptureOptions {
  return {
    instance: 'web:0',
    stream: 'out',
    format: { kind: 'text', time: 'utc' },
    maxLineBytes: 16,
    now: () => T,
    ...over,
  };
}
