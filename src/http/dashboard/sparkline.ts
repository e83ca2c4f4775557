// A short history of one figure drawn as an inline SVG polyline (no canvas, no library).

const SVG = 'http://www.w3.org/2000/svg';
/** Samples kept: one a second, so a minute. */
export const HISTORY = 60;
const WIDTH = 60;
const HEIGHT = 16;

/** A sparkline: an <svg> whose line is redrawn from the samples given. */
export class Sparkline {
  readonly element: SVGSVGElement;
  readonly #line: SVGPolylineElement;
  readonly #samples: number[] = [];

  constructor(label: string) {
    this.element = document.createElementNS(SVG, 'svg');
    this.element.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    this.element.setAttribute('preserveAspectRatio', 'none');
    this.element.setAttribute('class', 'spark');
    this.element.setAttribute('role', 'img');
    this.element.setAttribute('aria-label', label);
    this.#line = document.createElementNS(SVG, 'polyline');
    this.element.append(this.#line);
  }

  /** Adds a sample (null: none this second, drawn as 0) and redraws. */
  push(value: number | null): void {
    this.#samples.push(value ?? 0);
    if (this.#samples.length > HISTORY) this.#samples.shift();
    const max = Math.max(...this.#samples, 1e-9);
    const step = WIDTH / (HISTORY - 1);
    const offset = HISTORY - this.#samples.length;
    const points = this.#samples.map(
      (v, i) =>
        `${((offset + i) * step).toFixed(1)},${(HEIGHT - 1 - (v / max) * (HEIGHT - 2)).toFixed(1)}`,
    );
    this.#line.setAttribute('points', points.join(' '));
  }
}
