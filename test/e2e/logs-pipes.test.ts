// A service's stdout and stderr are real pipes of OUTPUT_PIPE_BYTES (not socket pairs): opening
// /dev/stdout or /dev/stderr works, as in a shell pipeline, and the pipe has the size asked for.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { OUTPUT_PIPE_BYTES } from '../../src/effects/spawn/output-pipes.js';
import { ROOT, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

void describe('output pipes of a service', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('are FIFOs of OUTPUT_PIPE_BYTES, and /dev/stdout can be opened', async () => {
    s = sandbox();
    // F_GETPIPE_SZ (1032) through koffi, from the service itself.
    const script = join(s.dir, 'pipe-size.cjs');
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(
      script,
      `
      const koffi = require(${JSON.stringify(join(ROOT, 'node_modules', 'koffi'))});
      const fcntl = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, int arg)');
      console.log('out ' + fcntl(1, 1032, 0));
      console.error('err ' + fcntl(2, 1032, 0));`,
    );
    s.config(`
services:
  kinds:
    command: |
      [ -p /dev/stdout ] && echo "stdout is a fifo"
      [ -p /dev/stderr ] && echo "stderr is a fifo" >&2
      echo "opened by path" > /dev/stdout
      exec node ${script}
    restart: never
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const file = join(s.home, 'logs', 'kinds.log');
    const texts = await waitFor('every line', () => {
      const t = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' | ')[1]);
      return t.length >= 5 && t;
    });
    assert.deepEqual(texts.sort(), [
      `err ${OUTPUT_PIPE_BYTES}`,
      'opened by path',
      `out ${OUTPUT_PIPE_BYTES}`,
      'stderr is a fifo',
      'stdout is a fifo',
    ]);
  });
});
