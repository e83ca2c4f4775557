// Durations in the config file: `500ms`, `10s`, `5m`, `1h`, `1.5s`, or a plain number of milliseconds.

/** Source of the accepted duration strings; also emitted as `pattern` in the JSON Schema. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Longest accepted duration (ms): 2^31-1, the largest delay Node's timers honour;
 * a longer `setTimeout` fires at once instead of waiting.
 */
export const MAX_DURATION_MS = 2_147_483_647;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** The result of {@link parseDuration}: milliseconds, or a message saying what is wrong. */
export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/** The message for a value that is not a duration at all, e.g. `"10 seconds" is not a duration; ...`. */
export function notADurationMessage(input: unknown): string {
  const shown = typeof input === 'string' ? JSON.stringify(input) : String(input);
  return `${shown} is not a duration; use e.g. 500ms, 10s, 5m`;
}

/**
 * Parses a duration: a string `<number><unit>` with unit `ms`, `s`, `m` or `h` (no unit means
 * ms), or a finite non-negative number of milliseconds. Fractions are allowed (`1.5s`) and the
 * result is rounded to a whole millisecond.
 * @returns `{ok: true, ms}` with an integer number of ms in 0..{@link MAX_DURATION_MS}, or
 *   `{ok: false, message}`; never throws.
 */
export function parseDuration(input: string | number): DurationResult {
  let ms: number;
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      return { ok: false, message: notADurationMessage(input) };
    ms = input;
  } else {
    const match = DURATION_PATTERN.exec(input);
    if (match === null) return { ok: false, message: notADurationMessage(input) };
    const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
    ms = Number(match[1]) * UNIT_MS[unit];
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_MS) {
    const shown = typeof input === 'string' ? JSON.stringify(input) : String(input);
    return {
      ok: false,
      message: `${shown} is too long; the longest duration is ${MAX_DURATION_MS}ms (about 24 days)`,
    };
  }
  return { ok: true, ms };
}

/** Formats milliseconds for messages: `1500` → `1.5s`, `60000` → `1m`, `250` → `250ms`. */
export function formatDuration(ms: number): string {
  if (ms >= UNIT_MS.h && ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms >= UNIT_MS.m && ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  if (ms >= UNIT_MS.s) return `${ms / UNIT_MS.s}s`;
  return `${ms}ms`;
}
