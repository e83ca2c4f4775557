// The live merged log tail: the last lines of every service, newest at the bottom, with a
// filter box (case-insensitive, on the instance and the text) applied as lines arrive.
import type { LogLine } from './wire.js';

/** Lines kept, shown or not. */
const KEPT = 1000;

/** The tail and its filter. */
export class LogTail {
  readonly #view: HTMLElement;
  readonly #filter: HTMLInputElement;
  #lines: LogLine[] = [];

  constructor(view: HTMLElement, filter: HTMLInputElement) {
    this.#view = view;
    this.#filter = filter;
    filter.addEventListener('input', () => this.#render());
  }

  /** Forgets every line (the stream opened again and sends its last lines anew). */
  clear(): void {
    this.#lines = [];
    this.#view.replaceChildren();
  }

  /** Adds a line; shown if it passes the filter. */
  add(line: LogLine): void {
    this.#lines.push(line);
    if (this.#lines.length > KEPT) this.#lines.shift();
    const isAtBottom =
      this.#view.scrollTop + this.#view.clientHeight >= this.#view.scrollHeight - 4;
    if (this.#matches(line)) this.#view.append(row(line));
    while (this.#view.childElementCount > KEPT) this.#view.firstElementChild?.remove();
    if (isAtBottom) this.#view.scrollTop = this.#view.scrollHeight;
  }

  #matches(line: LogLine): boolean {
    const needle = this.#filter.value.trim().toLowerCase();
    return needle === '' || `${line.instance} ${line.line}`.toLowerCase().includes(needle);
  }

  #render(): void {
    this.#view.replaceChildren(...this.#lines.filter((l) => this.#matches(l)).map(row));
    this.#view.scrollTop = this.#view.scrollHeight;
  }
}

function row(line: LogLine): HTMLElement {
  const div = document.createElement('div');
  div.className = `line line-${line.stream}`;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = new Date(line.time).toLocaleTimeString([], { hour12: false });
  const instance = document.createElement('span');
  instance.className = 'instance';
  instance.textContent = line.instance;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = line.line;
  div.append(time, instance, text);
  return div;
}
