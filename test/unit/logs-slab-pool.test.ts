// Output memory reuse: a slab comes back to the pool only once its capture moved on and every
// byte cut from it was written or dropped; a capture keeps no reference to the chunk it was fed;
// a log file releases what it wrote, what it dropped and what a failure lost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Capture } from '../../src/logs/capture.js';
import { captureOptions } from '../helpers/capture.js';
import { LogFile } from '../../src/logs/log-file.js';
import { slabs, SlabPool } from '../../src/logs/slab-pool.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'warden-slabs-'));
}

void describe('SlabPool', () => {
  void it('reuses a slab once it is retired and all its bytes are released', () => {
    const pool = new SlabPool(1024);
    const slab = pool.take(100);
    const region = slab.buf.subarray(0, 100);
    slab.pending += 100;
    pool.retire(slab);
    assert.equal(pool.freeCount, 0, 'bytes still pending');
    pool.release(region.subarray(0, 60), 60);
    pool.release(region.subarray(60));
    assert.equal(pool.freeCount, 1);
    assert.equal(pool.take(10).buf, slab.buf, 'the same memory again');
  });

  void it('keeps a slab in use while it is not retired, and ignores foreign memory', () => {
    const pool = new SlabPool(1024);
    const slab = pool.take(10);
    slab.pending += 10;
    pool.release(slab.buf.subarray(0, 10));
    pool.release(Buffer.from('not from the pool'));
    assert.equal(pool.freeCount, 0, 'its capture still cuts from it');
    assert.ok(pool.take(2000).buf.length >= 2000, 'a larger slab for a larger request');
  });
});

void describe('Capture and the slab pool', () => {
  void it('keeps no reference to a chunk: the reader may reuse its buffer at once', () => {
    const out: string[] = [];
    const pool = new SlabPool(4096);
    const c = new Capture(
      captureOptions({
        write: (data) => out.push(data.toString()),
        slabs: pool,
      }),
    );
    const shared = Buffer.alloc(64);
    const feed = (text: string): void => {
      const n = shared.write(text);
      c.push(shared.subarray(0, n));
      shared.fill(0x58); // what the next read would do to it
    };
    feed('one\ntw');
    feed('o\nbin\x01ary\nthree-is-a-very-long-line\npart');
    feed('ial');
    c.end();
    const texts = out
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => l.split(' | ')[1]);
    assert.deepEqual(texts, [
      'one',
      'two',
      'bin\\x01ary',
      'three-is-a-very-',
      'long-line',
      'partial',
    ]);
  });

  void it('hands on what one chunk gave as one region of a slab', () => {
    const regions: Buffer[] = [];
    const c = new Capture(
      captureOptions({
        maxLineBytes: 16384,
        write: (data) => regions.push(data),
        slabs: new SlabPool(),
      }),
    );
    c.push(Buffer.from('a partial'));
    c.push(Buffer.from(' line\nand\x1b[1m bold\nplain\n'));
    assert.equal(regions.length, 1);
    assert.equal(regions[0]?.toString().split('\n').length, 4);
  });
});

void describe('LogFile and the slab pool', () => {
  void it('gives written memory back, so a second flood reuses the first one’s slabs', async () => {
    const dir = tempDir();
    const log = new LogFile(join(dir, 'web.log'));
    try {
      const line = `${'x'.repeat(99)}\n`;
      const flood = (): void => {
        const c = new Capture(
          captureOptions({
            maxLineBytes: 16384,
            write: (data, lines) => log.append(data, lines),
          }),
        );
        for (let i = 0; i < 100; i++) c.push(Buffer.from(line.repeat(500)));
        c.end();
      };
      flood();
      await log.drain();
      const free = slabs.freeCount;
      assert.ok(free > 0, 'slabs came back');
      flood();
      await log.drain();
      assert.ok(slabs.freeCount > 0);
      assert.equal(log.droppedLines, 0);
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('releases what it drops: lines lost to ENOSPC, lines beyond a full queue', async () => {
    const dir = tempDir();
    // /dev/full itself (a log file is opened O_NOFOLLOW, so not through a link to it).
    symlinkSync('/dev', join(dir, 'dev'));
    const path = join(dir, 'dev', 'full');
    const failing = new LogFile(path, { retryMs: 60_000 });
    const full = new LogFile(join(dir, 'other.log'), { bufferBytes: 5 });
    const cut = (): { region: Buffer; slab: ReturnType<typeof slabs.take> } => {
      const slab = slabs.take(10);
      const region = slab.buf.subarray(0, 10);
      region.write('123456789\n');
      slab.pending += 10;
      return { region, slab };
    };
    try {
      const lost = cut();
      failing.append(lost.region, 1);
      await failing.drain();
      assert.equal(failing.error, 'ENOSPC');
      assert.equal(lost.slab.pending, 0);
      const beyond = cut();
      full.append(beyond.region, 1);
      assert.equal(full.droppedLines, 1);
      assert.equal(beyond.slab.pending, 0);
    } finally {
      await failing.close();
      await full.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
