// The benchmark's service: writes COUNT lines of exactly 100 bytes to stdout as fast as it can,
// in blocks of BLOCK bytes (default 4096, what C stdio uses for a pipe): a 10-digit sequence
// number, a space, 88 filler characters and a newline. Before the first line it writes its
// start time (ms since the epoch) to START_FILE, if given, and after the last one appends its
// end time: how long the writer itself took, blocked on a full pipe or not.
// Usage: node writer.js COUNT [BLOCK] [START_FILE]
import { appendFileSync, writeFileSync, writeSync } from 'node:fs';

const count = Number(process.argv[2] ?? '2000000');
const block = Number(process.argv[3] ?? '4096');
const startFile = process.argv[4];
const FILLER = ` ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, 88)}\n`;
const PER = 10_000;

if (startFile !== undefined) writeFileSync(startFile, String(Date.now()));
let pending = Buffer.alloc(0);
for (let first = 0; first < count; first += PER) {
  let text = '';
  for (let i = first; i < Math.min(count, first + PER); i++)
    text += String(i).padStart(10, '0') + FILLER;
  const buf = Buffer.concat([pending, Buffer.from(text, 'latin1')]);
  let off = 0;
  for (; off + block <= buf.length; off += block) writeAll(buf.subarray(off, off + block));
  pending = buf.subarray(off);
}
if (pending.length > 0) writeAll(pending);
if (startFile !== undefined) appendFileSync(startFile, ` ${Date.now()}`);

// stdout may be a non-blocking pipe (PM2 makes it one): wait for room instead of failing.
function writeAll(buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
