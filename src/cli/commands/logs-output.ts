// The output of `warden logs`: lines gathered into one buffer and written in large writes (a
// write per line costs more than the reading). Text lines are copied as stored, undecoded,
// unless coloured; JSON lines are shown as text lines.
import { parseLogLine } from '../../logs/format.js';
import { hasColour, paint, writeOut, type Colour } from '../output.js';

const PALETTE: Colour[] = ['cyan', 'magenta', 'blue', 'green', 'yellow'];
/** Bytes gathered before one write. */
const BATCH = 256 * 1024;

/** Where `logs` prints: lines as bytes (from the files) or as text (from `follow`). */
export interface LogsOutput {
  /** A line as bytes `[start, end)` of `buf`, without its newline. */
  bytes: (buf: Buffer, start: number, end: number) => void;
  /** A line of text, without its newline. */
  text: (line: string) => void;
  /** Writes what is gathered. */
  flush: () => void;
}

/** The output of `logs` to stdout: coloured on a TTY without NO_COLOR. */
export function logsOutput(): LogsOutput {
  const isColour = hasColour();
  const colours = new Map<string, Colour>();
  const buf = Buffer.allocUnsafe(BATCH);
  let used = 0;
  const flush = (): void => {
    if (used > 0) writeOut(buf.subarray(0, used));
    used = 0;
  };
  const raw = (data: Buffer, start: number, end: number): void => {
    if (used + end - start + 1 > BATCH) flush();
    if (end - start + 1 > BATCH) {
      writeOut(data.subarray(start, end));
      writeOut(Buffer.from('\n'));
      return;
    }
    // A loop copies a short line faster than Buffer#copy, which allocates a view per call.
    if (end - start > 256) used += data.copy(buf, used, start, end);
    else for (let i = start; i < end; i++) buf[used++] = data[i] as number;
    buf[used++] = 0x0a;
  };
  const text = (line: string): void => {
    const shown = isColour || line.startsWith('{') ? colourLine(line, colours) : line;
    const data = Buffer.from(shown);
    raw(data, 0, data.length);
  };
  return {
    bytes: (data, start, end) => {
      if (isColour || data[start] === 0x7b) text(data.toString('utf8', start, end));
      else raw(data, start, end);
    },
    text,
    flush,
  };
}

function colourLine(line: string, colours: Map<string, Colour>): string {
  const parsed = parseLogLine(line);
  if (parsed === undefined) return line;
  let colour = colours.get(parsed.instance);
  if (colour === undefined) {
    colour = PALETTE[colours.size % PALETTE.length] ?? 'cyan';
    colours.set(parsed.instance, colour);
  }
  const stream = parsed.stream === 'err' ? paint('red', 'err') : 'out';
  const time = line.startsWith('{') ? new Date(parsed.time).toISOString() : line.split(' ', 1)[0];
  return `${paint('dim', time ?? '')} ${paint(colour, parsed.instance)} ${stream} | ${parsed.text}`;
}
