// Median and spread of repeated measurements: the machine is noisy, so every figure is given
// as a median with its range (min-max) over the repetitions.

/** A set of repeated values, summarised. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1
    ? (v[mid] as number)
    : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Median, min and max of `values`. */
export function spreadOf(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length === 0 ? NaN : Math.min(...values),
    max: values.length === 0 ? NaN : Math.max(...values),
    values: [...values],
  };
}

/** `12.3 (11.0-14.1)` with `digits` decimals. */
export function formatSpread(s: Spread, digits: number): string {
  if (Number.isNaN(s.median)) return '-';
  const f = (x: number): string => x.toFixed(digits);
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
}
