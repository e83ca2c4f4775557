// Following logs: files that appear, vanish, are truncated or replaced.
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { follow } from '../../src/logs/follow.js';
import { waitFor } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-follow-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

void describe('follow', () => {
  const followed = (paths: string[], options?: Parameters<typeof follow>[2]) => {
    const lines: string[] = [];
    const stop = follow(paths, (line) => lines.push(line), options);
    return { lines, stop };
  };

  void it('reads only what is appended after it starts', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'old\n');
    const f = followed([path]);
    try {
      appendFileSync(path, 'new 1\nnew 2\n');
      await waitFor('two lines', () => f.lines.length >= 2);
      assert.deepEqual(f.lines, ['new 1', 'new 2']);
    } finally {
      f.stop();
    }
  });

  void it('reads a file replaced by a same-size one (rotation by rename) from its start', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'aaaa\n');
    const f = followed([path]);
    try {
      renameSync(path, `${path}.1`);
      writeFileSync(path, 'bbbb\n');
      await waitFor('the new file', () => f.lines.includes('bbbb'));
      appendFileSync(path, 'cccc\n');
      await waitFor('the appended line', () => f.lines.includes('cccc'));
      assert.deepEqual(f.lines, ['bbbb', 'cccc']);
    } finally {
      f.stop();
    }
  });

  void it('reads every line of a file rotated several times before it looked', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'old\n');
    const f = followed([path]);
    try {
      // All of this happens before the follower handles a single event.
      appendFileSync(path, 'one\ntwo\n');
      renameSync(path, `${path}.1`);
      writeFileSync(path, 'three\n');
      renameSync(`${path}.1`, `${path}.2`);
      renameSync(path, `${path}.1`);
      writeFileSync(path, 'four\nfive');
      appendFileSync(path, '\nsix\n');
      await waitFor('the last line', () => f.lines.includes('six'));
      assert.deepEqual(f.lines, ['one', 'two', 'three', 'four', 'five', 'six']);
    } finally {
      f.stop();
    }
  });

  void it('reads a file deleted and recreated larger from its start', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'old line\n');
    const f = followed([path]);
    try {
      unlinkSync(path);
      writeFileSync(path, 'a new and longer line\n');
      await waitFor('the new line', () => f.lines.length > 0);
      assert.deepEqual(f.lines, ['a new and longer line']);
    } finally {
      f.stop();
    }
  });

  void it('reads a truncated file from its start', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'a long first line\n');
    const f = followed([path]);
    try {
      truncateSync(path, 0);
      appendFileSync(path, 'short\n');
      await waitFor('the line after truncation', () => f.lines.includes('short'));
      assert.deepEqual(f.lines, ['short']);
    } finally {
      f.stop();
    }
  });

  void it('waits for a file that does not exist yet and reads it whole', async () => {
    const path = join(dir, 'later.log');
    const f = followed([path]);
    try {
      writeFileSync(path, 'one\ntwo\n');
      await waitFor('both lines', () => f.lines.length >= 2);
      assert.deepEqual(f.lines, ['one', 'two']);
    } finally {
      f.stop();
    }
  });

  void it('with discover, follows matching files that appear later', async () => {
    const known = join(dir, 'known.log');
    writeFileSync(known, 'known old\n');
    const f = followed([known], { discover: { dir, match: (name) => name.endsWith('.log') } });
    try {
      writeFileSync(join(dir, 'other.txt'), 'not a log\n');
      writeFileSync(join(dir, 'fresh.log'), 'fresh 1\n');
      appendFileSync(known, 'known new\n');
      await waitFor('both files', () => f.lines.length >= 2);
      appendFileSync(join(dir, 'fresh.log'), 'fresh 2\n');
      await waitFor('the second fresh line', () => f.lines.includes('fresh 2'));
      assert.deepEqual([...f.lines].sort(), ['fresh 1', 'fresh 2', 'known new']);
    } finally {
      f.stop();
    }
  });

  void it('throws a clear error for a directory that does not exist', () => {
    assert.throws(
      () => follow([join(dir, 'missing', 'a.log')], () => undefined),
      /^Error: cannot watch .*missing: ENOENT$/,
    );
  });
});
