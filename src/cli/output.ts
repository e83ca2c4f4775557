// The CLI's only door to the terminal: plain lines out, errors to stderr, colour only on a TTY.

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
