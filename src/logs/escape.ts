// Keeps log files valid UTF-8 text whatever a service prints: control bytes (other than tab)
// and bytes that are not UTF-8 become a visible `\xNN`, so binary output cannot corrupt the
// file, nor the terminal of someone reading it.
import { isUtf8 } from 'node:buffer';

const BACKSLASH_X = [0x5c, 0x78];
const HEX = Buffer.from('0123456789abcdef');

/**
 * True when bytes `start..end` of `buf` need no escaping: valid UTF-8 without C0 controls
 * (tab and newline allowed), DEL or C1 controls. The fast path of capture.
 */
export function isClean(buf: Buffer, start: number, end: number): boolean {
  // Four bytes at a time (SWAR): only a word with a high bit, a byte below 0x20 or a 0x7f is
  // looked at byte by byte, so a text line costs about its newline.
  const first = Math.min(end, start + ((4 - ((buf.byteOffset + start) & 3)) & 3));
  let bytes = scanBytes(buf, start, first);
  if (bytes === BAD) return false;
  let high = bytes === HIGH;
  const words = (end - first) >> 2;
  // Even an empty view needs an aligned start, which a line shorter than the alignment lacks.
  const view = words === 0 ? NO_WORDS : new Uint32Array(buf.buffer, buf.byteOffset + first, words);
  for (let i = 0; i < words; i++) {
    const x = view[i] as number;
    const del = x ^ 0x7f7f7f7f;
    if ((((x - 0x20202020) & ~x) | ((del - 0x01010101) & ~del) | x) & 0x80808080) {
      bytes = scanBytes(buf, first + i * 4, first + i * 4 + 4);
      if (bytes === BAD) return false;
      if (bytes === HIGH) high = true;
    }
  }
  bytes = scanBytes(buf, first + words * 4, end);
  if (bytes === BAD) return false;
  if (!high && bytes !== HIGH) return true;
  const part = buf.subarray(start, end);
  return isUtf8(part) && !hasC1(part);
}

const NO_WORDS = new Uint32Array(0);
const PLAIN = 0;
const HIGH = 1;
const BAD = 2;

// PLAIN (ASCII text, tab and newline allowed), HIGH (also bytes above 0x7f) or BAD (controls).
function scanBytes(buf: Buffer, start: number, end: number): number {
  let result = PLAIN;
  for (let k = start; k < end; k++) {
    const b = buf[k] as number;
    if (b < 0x20 ? b !== 0x0a && b !== 0x09 : b === 0x7f) return BAD;
    if (b > 0x7f) result = HIGH;
  }
  return result;
}

/** Bytes `start..end` of `buf` (one line, no newline) with every unsafe byte as `\xNN`. */
export function escapeBytes(buf: Buffer, start: number, end: number): Buffer {
  const out: number[] = [];
  let i = start;
  while (i < end) {
    const b = buf[i] as number;
    const size = b < 0x80 ? 1 : sequenceLength(buf, i, end);
    if (size === 0 || (b < 0x20 && b !== 0x09) || b === 0x7f || isC1(buf, i, size)) {
      out.push(...BACKSLASH_X, HEX[b >> 4] as number, HEX[b & 15] as number);
      i++;
      if (size > 1) for (let k = 1; k < size; k++) pushHex(out, buf[i++] as number);
      continue;
    }
    for (let k = 0; k < size; k++) out.push(buf[i++] as number);
  }
  return Buffer.from(out);
}

function pushHex(out: number[], b: number): void {
  out.push(...BACKSLASH_X, HEX[b >> 4] as number, HEX[b & 15] as number);
}

// U+0080..U+009F (C2 80..C2 9F): terminals may act on them like ESC sequences.
function isC1(buf: Buffer, i: number, size: number): boolean {
  return size === 2 && buf[i] === 0xc2 && (buf[i + 1] as number) < 0xa0;
}

function hasC1(buf: Buffer): boolean {
  for (let i = buf.indexOf(0xc2); i !== -1; i = buf.indexOf(0xc2, i + 1))
    if (i + 1 < buf.length && (buf[i + 1] as number) < 0xa0) return true;
  return false;
}

// The length of the well-formed UTF-8 sequence at `i` (RFC 3629, table 3-7 of Unicode), or 0.
function sequenceLength(buf: Buffer, i: number, end: number): number {
  const b = buf[i] as number;
  let size: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) size = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    size = 3;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    size = 4;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + size > end) return 0;
  const second = buf[i + 1] as number;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < size; k++) {
    const c = buf[i + k] as number;
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return size;
}

/**
 * The largest cut of `buf` at or below `max` bytes that does not split a UTF-8 character (at
 * least 1): where an over-long line is cut.
 */
export function charBoundary(buf: Buffer, max: number): number {
  let cut = max;
  for (let k = 0; k < 3 && cut > 1 && ((buf[cut] as number) & 0xc0) === 0x80; k++) cut--;
  return cut;
}
