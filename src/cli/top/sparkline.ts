// The small history of `warden top`: the last samples of a figure, drawn as a sparkline of
// eighth-blocks (U+2581..U+2588), one character a sample, newest on the right.

const BARS = '▁▂▃▄▅▆▇█';

/** Samples kept per figure: about half a minute at one frame a second. */
export const HISTORY = 30;

/** The last `size` samples of a figure, oldest first (null: no figure at that moment). */
export class History {
  readonly #size: number;
  #values: (number | null)[] = [];

  constructor(size = HISTORY) {
    this.#size = size;
  }

  push(value: number | null): void {
    this.#values.push(value);
    if (this.#values.length > this.#size) this.#values.shift();
  }

  get values(): readonly (number | null)[] {
    return this.#values;
  }

  /** The newest sample that is a figure, or null. */
  get last(): number | null {
    return this.#values.at(-1) ?? null;
  }
}

/**
 * `values` as `width` characters, the newest last: each a bar of its value over `max` (the
 * highest value when not given), a space for a missing one, padded with spaces on the left.
 * A value of 0 is the lowest bar, so that "idle" and "not measured" look different.
 */
export function sparkline(values: readonly (number | null)[], width: number, max?: number): string {
  const shown = values.slice(Math.max(0, values.length - width));
  const top = max ?? Math.max(0, ...shown.map((v) => v ?? 0));
  const bars = shown.map((v) => {
    if (v === null) return ' ';
    if (top <= 0) return BARS[0];
    const level = Math.round((Math.min(v, top) / top) * (BARS.length - 1));
    return BARS[Math.max(0, level)];
  });
  return bars.join('').padStart(width);
}
