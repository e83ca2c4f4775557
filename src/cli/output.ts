// The CLI's only door to the terminal: plain lines out, errors to stderr, colour only on a TTY.
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { errnoOf } from '../effects/ffi/errno.js';

/** Exit codes of every verb (README "Exit codes"). */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;

/** Prints a line (or several) on stdout. */
export function print(text: string): void {
  console.log(text);
}

/** Prints a line on stderr, prefixed `warden: `. */
export function printError(text: string): void {
  console.error(`warden: ${text}`);
}

/**
 * Instance names as one line lists them, in their order: a run of four or more instances of one
 * service numbered one after another is written `web:0 ... web:999 (1000 instances)`, so that
 * `up` of a large service prints one line, not a thousand names.
 */
export function instanceList(names: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length;) {
    const numbered = /^(.+):(\d+)$/.exec(names[i]!);
    let end = i + 1;
    if (numbered !== null) {
      const [, service, first] = numbered;
      while (end < names.length && names[end] === `${service}:${Number(first) + end - i}`) end++;
    }
    if (end - i >= 4) parts.push(`${names[i]} ... ${names[end - 1]} (${end - i} instances)`);
    else parts.push(...names.slice(i, end));
    i = end;
  }
  return parts.join(', ');
}

const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  dim: 2,
  bold: 1,
} as const;

/** A colour name. */
export type Colour = keyof typeof CODES;

/** Wraps `text` in the colour's escape codes when stdout is a TTY and NO_COLOR is unset. */
export function paint(colour: Colour, text: string): string {
  if (process.stdout.isTTY !== true || process.env.NO_COLOR !== undefined) return text;
  return `\u001b[${CODES[colour]}m${text}\u001b[0m`;
}

/** Writes raw text to stdout (no newline added), for streaming output such as `logs -f`. */
export function write(text: string): void {
  process.stdout.write(text);
}

/** Whether output may be coloured: stdout is a TTY and NO_COLOR is unset (without loading process.stdout). */
export function hasColour(): boolean {
  return isatty(1) && process.env.NO_COLOR === undefined;
}

/**
 * Writes `data` to stdout (fd 1) at once, for large outputs such as `logs`: no stream to set
 * up, no write per line. Waits while a non-blocking stdout is full (EAGAIN); when the reader
 * is gone (EPIPE, as after `| head`), the CLI ends there, successfully, as `tail` would.
 */
export function writeOut(data: Buffer): void {
  for (let done = 0; done < data.length;) {
    try {
      done += writeSync(1, data, done);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EPIPE') process.exit(EXIT.ok);
      if (code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
