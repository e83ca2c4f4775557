// A full disk for seconds, then room again: the markers `warden: dropped N lines` in the file add
// up to exactly the dropped count of `status --json`, and every line not dropped is in the file,
// in order. The disk is a small tmpfs over the home's logs/ (root only, skipped otherwise),
// filled by the test itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { parseLogLine } from '../../src/logs/format.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

const DEADLINE_MS = 30_000;
// Every line of the service is exactly 128 bytes in the file (`TIME chatty out | TEXT\n`, the
// time 24 characters), so a tmpfs, which fills a page (4096 bytes) at a time, fails a write
// between two lines, never inside one.
const LINE_BYTES = 128;
const TEXT_BYTES = LINE_BYTES - '2026-12-06T19:49:02.123Z chatty out | \n'.length;
const PAD = 'x'.repeat(TEXT_BYTES - 'n=000000  end'.length);
const LINE = /^n=(\d{6}) x+ end$/;
const MARKER = /^warden: dropped (\d+) lines \(/;
// At most 100 lines a second (each turn sleeps 10 ms): 300 dropped lines take 3 s or more, so
// the daemon retries (every second) and fails to write its marker more than once meanwhile.
const SERVICE = `
services:
  chatty:
    command: i=0; while :; do i=$((i+1)); printf 'n=%06d ${PAD} end\\n' $i; sleep 0.01; done
    logs: { max_size: off }
`;
const WAIT_DROPPED = 300;

// Takes every free block of the file system of `dir` with one file; returns its path.
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0x2e);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

void describe('dropped lines on a full disk', () => {
  let s: Sandbox | undefined;
  let mounted: string | undefined;
  afterEach(async () => {
    await s?.cleanup().catch(() => undefined);
    if (mounted !== undefined && existsSync(mounted)) execFileSync('umount', ['-l', mounted]);
    // The sandbox's files could not all go while the tmpfs was mounted inside it.
    if (s !== undefined) rmSync(dirname(s.home), { recursive: true, force: true });
    mounted = undefined;
    s = undefined;
  });

  void it('the markers in the file add up to the count in status, and no other line is lost', async (t) => {
    s = sandbox();
    const dir = join(s.home, 'logs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir], {
        stdio: 'pipe',
      });
    } catch (error) {
      t.skip(`cannot mount a tmpfs (needs root): ${String(error).split('\n')[0]}`);
      return;
    }
    mounted = dir;
    const sb = s;
    const log = join(dir, 'chatty.log');
    s.config(SERVICE);
    const up = await s.warden(['up'], { timeoutMs: DEADLINE_MS });
    assert.equal(up.code, 0, up.stderr);
    await waitFor('lines in the log', () => existsSync(log) && readFileSync(log).length > 0);

    const filler = fill(dir);
    const dropped = async (): Promise<number> =>
      (await sb.status()).instances[0]?.logs.droppedLines ?? 0;
    await waitFor(
      `${WAIT_DROPPED} dropped lines`,
      async () => (await dropped()) >= WAIT_DROPPED,
      DEADLINE_MS,
      100,
    );
    unlinkSync(filler);
    const text = (): string => readFileSync(log, 'utf8');
    await waitFor('the marker, then lines again', () =>
      /dropped \d+ lines[^]*\n.*end\n/.test(text()),
    );
    const stop = await s.warden(['stop', 'chatty'], { timeoutMs: DEADLINE_MS });
    assert.equal(stop.code, 0, stop.stderr);
    const status = (await s.status()).instances[0];
    assert.equal(status?.state, 'stopped');
    assert.equal(status?.logs.error, null);

    let reported = 0;
    const numbers: number[] = [];
    for (const line of text().split('\n').slice(0, -1)) {
      const parsed = parseLogLine(line);
      const marker = parsed?.instance === 'warden' ? MARKER.exec(parsed.text) : null;
      const own = parsed?.instance === 'chatty' ? LINE.exec(parsed.text) : null;
      assert.ok(marker !== null || own !== null, `a marker or a whole line: ${line}`);
      if (marker !== null) reported += Number(marker[1]);
      if (own !== null) numbers.push(Number(own[1]));
    }
    numbers.forEach((n, i) => i > 0 && assert.ok(n > (numbers[i - 1] ?? 0), `in order at ${n}`));
    const emitted = numbers.at(-1) ?? 0;
    assert.equal(numbers[0], 1, 'the first line is there');
    assert.ok((status?.logs.droppedLines ?? 0) >= WAIT_DROPPED);
    assert.equal(reported, status?.logs.droppedLines, 'the markers add up to status');
    assert.equal(emitted - numbers.length, reported, 'every line not dropped is in the file');
  });
});
