// listenFds() (src/lib/listen-fds.ts) in a real child process given fd 3, as sd_listen_fds(3)
// reads it: LISTEN_PID must be the process's own pid, the variables leave process.env, the names
// come from LISTEN_FDNAMES or are `unknown`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const LIB = fileURLToPath(new URL('../../src/lib/listen-fds.js', import.meta.url));
const SCRIPT = `
import { listenFds } from ${JSON.stringify(LIB)};
const first = listenFds();
const left = Object.keys(process.env).filter((k) => k.startsWith('LISTEN_'));
process.stdout.write(JSON.stringify({ first, again: listenFds(), left }));
`;

/** Runs SCRIPT with fd 3 open and the env given; `pid` 'own' sets LISTEN_PID to the child's pid. */
async function run(env: Record<string, string>, pid: 'own' | 'other'): Promise<unknown> {
  const fd = openSync('/dev/null', 'r');
  const setPid = pid === 'own' ? 'LISTEN_PID=$$' : 'LISTEN_PID=1';
  const argv = ['-c', `${setPid}; export LISTEN_PID; exec "$0" --input-type=module -e "$1"`];
  const child = spawn('/bin/sh', [...argv, process.execPath, SCRIPT], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit', fd],
  });
  closeSync(fd);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number];
  assert.equal(code, 0);
  return JSON.parse(out);
}

void describe('listenFds', () => {
  void it('returns the sockets by name for this pid and removes the variables', async () => {
    const r = await run({ LISTEN_FDS: '1', LISTEN_FDNAMES: 'http' }, 'own');
    assert.deepEqual(r, {
      first: [{ fd: 3, name: 'http' }],
      again: [{ fd: 3, name: 'http' }],
      left: [],
    });
  });

  void it('returns nothing when LISTEN_PID names another process', async () => {
    const r = await run({ LISTEN_FDS: '1', LISTEN_FDNAMES: 'http' }, 'other');
    assert.deepEqual(r, { first: [], again: [], left: [] });
  });

  void it('names a socket `unknown` without LISTEN_FDNAMES (systemd without FileDescriptorName=)', async () => {
    const r = await run({ LISTEN_FDS: '1' }, 'own');
    assert.deepEqual(r, {
      first: [{ fd: 3, name: 'unknown' }],
      again: [{ fd: 3, name: 'unknown' }],
      left: [],
    });
  });
});
