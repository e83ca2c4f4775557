// The most telling lines of a run's stderr, for the status table: the first line of its last
// error block (Node's `Error: listen EADDRINUSE ...`, Python's `Traceback ...`, Go's `panic: ...`)
// and its last line that says something. Never a blank line, a bare brace or caret, a runtime's
// version banner (`Node.js v20.20.2`) or a hint (`note: run with RUST_BACKTRACE=1`); never a
// stack frame as the last line. Fed line by line in O(1) memory, so the headline of a long stack
// trace is found however far above its end it is. Each line kept is cut like the stderr tail's.
import { cutLine } from './tail-buffer.js';

/** Starts an error report: `TypeError:`, `java.io.IOException`, `panic:`, `FATAL`, `Traceback`. */
const HEADLINE =
  /(?:Error|Exception)\b|\bpanic(?:ked)?\b|^Traceback \(most recent call last\)|\b(?:FATAL|CRITICAL|ERROR)\b|command not found|: not found$|\bSegmentation fault\b|\(core dumped\)/;
/** `error:`, `ERROR:`, `error[E0425]:`, `fatal error:`, git's `fatal:`, in any case. */
const ERROR_COLON = /\b(?:error(?:\[\w+\])?|fatal):/i;
/** Says nothing: only punctuation (`}`, `^^^^`, `~~^~~`), a version banner, a runtime's hint. */
const NOISE =
  /^[\s{}()[\];,^~]*$|^(?:Node\.js|Bun|Deno) v?\d+\.\d+|^note: (?:run with `RUST_BACKTRACE|Some details are omitted)|^\(Use `node --trace-/;
/** A stack frame: Node and Java `at ...`, Python `File "..."`, Rust `12: ...`, Java `... 3 more`. */
const FRAME = /^\s+(?:at\s|File "|\d+: |\.\.\. \d+ more)/;
/** Begins a trace that runs to the end of its block: Node, Go and Rust say so. */
const TRACE_HEADER = /^(?:Emitted 'error' event on .* at:|goroutine \d+ \[.*\]:|stack backtrace:)$/;

/** Picks the telling lines of one run's stderr, fed one line at a time. */
export class TellingLines {
  /** The first headline of the last block (lines between blank ones) that had one. */
  #headline: string | undefined;
  #blockHasHeadline = false;
  /** The rest of the block is a trace (after a TRACE_HEADER). */
  #inTrace = false;
  /** The line before was a frame: indented lines now are its source, its error's properties. */
  #afterFrame = false;
  /** The last line that is neither noise nor trace; the last that is not noise. */
  #last: string | undefined;
  #lastAny: string | undefined;

  /** Takes the next line of the run's stderr (without its newline). */
  push(line: string): void {
    if (line.trim() === '') {
      this.#blockHasHeadline = false;
      this.#inTrace = false;
      this.#afterFrame = false;
      return;
    }
    if (NOISE.test(line)) return;
    const text = cutLine(line.trim());
    this.#lastAny = text;
    if (this.#isTrace(line)) return;
    this.#last = text;
    if (!this.#blockHasHeadline && (HEADLINE.test(line) || ERROR_COLON.test(line))) {
      this.#headline = text;
      this.#blockHasHeadline = true;
    }
  }

  /** The headline of the last error block and the last telling line, once each, oldest first. */
  lines(): string[] {
    const last = this.#last ?? this.#lastAny;
    if (this.#headline === undefined) return last === undefined ? [] : [last];
    return last === undefined || last === this.#headline
      ? [this.#headline]
      : [this.#headline, last];
  }

  /** Forgets every line (a new run begins). */
  clear(): void {
    this.#headline = this.#last = this.#lastAny = undefined;
    this.#blockHasHeadline = this.#inTrace = this.#afterFrame = false;
  }

  #isTrace(line: string): boolean {
    if (this.#inTrace) return true;
    if (TRACE_HEADER.test(line)) return (this.#inTrace = true);
    if (FRAME.test(line)) return (this.#afterFrame = true);
    const isIndented = line.startsWith(' ') || line.startsWith('\t');
    if (this.#afterFrame && isIndented) return true;
    this.#afterFrame = false;
    return false;
  }
}

/** The telling lines of `lines` (one run's stderr, oldest first); see TellingLines. */
export function tellingLines(lines: Iterable<string>): string[] {
  const picker = new TellingLines();
  for (const line of lines) picker.push(line);
  return picker.lines();
}
