// Capture of one stream: lines stamped and tagged in order, a partial line kept for the next
// chunk, CR dropped, over-long lines split (never dropped), binary escaped, JSON format.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Capture, type CaptureOptions } from '../../src/logs/capture.js';
import { captureOptions, T } from '../helpers/capture.js';
import { escapeBytes, isClean } from '../../src/logs/escape.js';
import { formatTime, parseLogLine } from '../../src/logs/format.js';

function capture(over: Partial<CaptureOptions> = {}) {
  const out: string[] = [];
  let lines = 0;
  const tail: string[] = [];
  const c = new Capture(
    captureOptions({
      write: (data, n) => {
        out.push(data.toString('utf8'));
        lines += n;
      },
      onLine: (l) => tail.push(l),
      ...over,
    }),
  );
  const text = (): string => out.join('');
  // The text part of each line written so far.
  const texts = () =>
    text()
      .trimEnd()
      .split('\n')
      .map((l) => parseLogLine(l)?.text);
  return { c, text, texts, lines: () => lines, tail };
}

void describe('Capture', () => {
  void it('stamps whole lines and keeps a partial one for the next chunk', () => {
    const h = capture();
    h.c.push(Buffer.from('one\ntwo\nthr'));
    assert.equal(
      h.text(),
      '2026-01-02T03:04:05.006Z web:0 out | one\n2026-01-02T03:04:05.006Z web:0 out | two\n',
    );
    h.c.push(Buffer.from('ee\nfou'));
    h.c.end();
    const texts = h.texts();
    assert.deepEqual(texts, ['one', 'two', 'three', 'fou']);
    assert.equal(h.lines(), 4);
    assert.deepEqual(h.tail, ['one', 'two', 'three', 'fou']);
  });

  void it('never cuts a line in two while its stream is quiet mid-line', async () => {
    // A writer descheduled mid-line (a loaded machine) leaves the pipe quiet for a while; the
    // rest of the line must still join its start. Quiet for longer than the old 500 ms delay:
    const h = capture({ maxLineBytes: 1024 });
    h.c.push(Buffer.from('first half'));
    await new Promise((resolve) => setTimeout(resolve, 700));
    h.c.push(Buffer.from(', second half\nnext\n'));
    h.c.end();
    assert.deepEqual(h.texts(), ['first half, second half', 'next']);
    assert.equal(h.lines(), 2);
  });

  void it('splits an over-long line at a character boundary and drops a CR', () => {
    const h = capture();
    h.c.push(Buffer.from(`${'a'.repeat(15)}é${'b'.repeat(20)}\r\nok\r\n`));
    const texts = h.texts();
    assert.deepEqual(texts, ['a'.repeat(15), `é${'b'.repeat(14)}`, 'b'.repeat(6), 'ok']);
  });

  void it('escapes control bytes and invalid UTF-8 visibly', () => {
    const h = capture({ maxLineBytes: 1024 });
    h.c.push(Buffer.from([0x41, 0x00, 0x1b, 0x5b, 0x09, 0xff, 0xc3, 0xa9, 0xc2, 0x9b, 0x0a]));
    assert.equal(parseLogLine(h.text().trimEnd())?.text, 'A\\x00\\x1b[\t\\xffé\\xc2\\x9b');
  });

  void it('writes one JSON object per line in json format, local time on request', () => {
    const h = capture({ format: { kind: 'json', time: 'local' }, maxLineBytes: 1024 });
    h.c.push(Buffer.from('say "hi"\n'));
    const obj = JSON.parse(h.text()) as Record<string, string>;
    assert.deepEqual(obj, {
      time: formatTime(T, 'local'),
      instance: 'web:0',
      stream: 'out',
      text: 'say "hi"',
    });
    assert.equal(Date.parse(obj.time ?? ''), T);
    assert.deepEqual(parseLogLine(h.text().trimEnd()), {
      time: T,
      instance: 'web:0',
      stream: 'out',
      text: 'say "hi"',
    });
  });

  void it('keeps every line of a flood, in order, across arbitrary chunk edges', () => {
    const h = capture({ maxLineBytes: 16384, onLine: undefined });
    const all = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `l${i} ü\n`).join(''));
    for (let off = 0, size = 1; off < all.length; off += size, size = (size * 7 + 3) % 5000)
      h.c.push(all.subarray(off, off + size));
    h.c.end();
    const texts = h.texts();
    assert.equal(texts.length, 20_000);
    texts.forEach((t, i) => assert.equal(t, `l${i} ü`));
  });
});

void describe('escape', () => {
  void it('accepts text, tabs and UTF-8; rejects controls, DEL, C1 and broken UTF-8', () => {
    for (const ok of ['plain ascii text\n', 'tab\there', 'ünïcödé ✓ 😀'])
      assert.equal(isClean(Buffer.from(ok), 0, Buffer.byteLength(ok)), true, ok);
    for (const bad of [[0x41, 0x07], [0x7f], [0xc2, 0x85], [0xed, 0xa0, 0x80], [0xe2, 0x82]])
      assert.equal(isClean(Buffer.from(bad), 0, bad.length), false, String(bad));
    const broken = Buffer.from([0xe2, 0x82, 0x41]);
    assert.equal(escapeBytes(broken, 0, 3).toString(), '\\xe2\\x82A');
  });
});
