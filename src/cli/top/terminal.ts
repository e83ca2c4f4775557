// The full-screen side of `warden top`: the alternate screen, raw keys, redraws, and putting
// the terminal back as it was (main screen, cursor shown, raw mode off) however top ends.
// Escape sequences: ECMA-48 and xterm's ctlseqs (alternate screen 1049, cursor 25).
import type { ReadStream, WriteStream } from 'node:tty';

const ENTER = '\u001b[?1049h\u001b[?25l';
const LEAVE = '\u001b[?25h\u001b[?1049l';

/**
 * A key as `top` reads it: a named key (`up`, `down`, `pageup`, `pagedown`, `home`, `end`,
 * `escape`, `interrupt` for Ctrl-C), else the character typed.
 */
export type Key = string;

const ESC = '\u001b';

const SEQUENCES: Record<string, Key> = {
  '\u001b[A': 'up',
  '\u001bOA': 'up',
  '\u001b[B': 'down',
  '\u001bOB': 'down',
  '\u001b[5~': 'pageup',
  '\u001b[6~': 'pagedown',
  '\u001b[H': 'home',
  '\u001b[1~': 'home',
  '\u001b[F': 'end',
  '\u001b[4~': 'end',
};

/** The keys in one read of a raw terminal (several may come at once; unknown sequences are dropped). */
export function decodeKeys(data: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < data.length;) {
    if (data[i] === ESC) {
      const seq = data.slice(i, sequenceEnd(data, i));
      const key = SEQUENCES[seq];
      if (key !== undefined) keys.push(key);
      else if (seq === ESC) keys.push('escape');
      i += seq.length;
      continue;
    }
    const c = data[i] ?? '';
    keys.push(c === '\u0003' ? 'interrupt' : c);
    i++;
  }
  return keys;
}

// Where the escape sequence at `at` ends: CSI (`ESC [` parameters, one final letter or `~`), SS3
// (`ESC O` and one letter), or a lone ESC.
function sequenceEnd(data: string, at: number): number {
  const kind = data[at + 1];
  if (kind === 'O' && isLetter(data[at + 2])) return at + 3;
  if (kind !== '[') return at + 1;
  let i = at + 2;
  while (i < data.length && /[0-9;]/.test(data[i] ?? '')) i++;
  const final = data[i];
  return isLetter(final) || final === '~' ? i + 1 : at + 1;
}

function isLetter(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z]$/.test(c);
}

/** The terminal `top` draws on. */
export class Screen {
  readonly #in: ReadStream;
  readonly #out: WriteStream;
  #isOn = false;
  readonly #restore = (): void => this.leave();

  constructor(input: ReadStream, output: WriteStream) {
    this.#in = input;
    this.#out = output;
  }

  /** Its size in columns and rows. */
  get size(): { width: number; height: number } {
    return { width: this.#out.columns || 80, height: this.#out.rows || 24 };
  }

  /** Switches to the alternate screen with the cursor hidden and keys read raw. */
  enter(): void {
    if (this.#isOn) return;
    this.#isOn = true;
    this.#in.setRawMode(true);
    this.#in.resume();
    this.#out.write(ENTER);
    // Whatever ends the process from here (an exception too) leaves the terminal usable.
    process.once('exit', this.#restore);
  }

  /** Back to the main screen, cursor shown, line mode: as the terminal was before. */
  leave(): void {
    if (!this.#isOn) return;
    this.#isOn = false;
    process.off('exit', this.#restore);
    this.#in.pause();
    try {
      this.#out.write(LEAVE);
      this.#in.setRawMode(false);
    } catch {
      // A terminal hung up (EIO): there is nothing left to restore.
    }
  }

  /** Draws `lines` (each already fitted to the width) from the top left, clearing what was below. */
  draw(lines: readonly string[]): void {
    if (!this.#isOn) return;
    let text = '\u001b[H';
    lines.forEach((line, i) => {
      text += `\u001b[${i + 1};1H${line}\u001b[0m`;
    });
    this.#out.write(`${text}\u001b[J`);
  }
}
