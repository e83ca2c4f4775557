// Files a user names that are not regular files, or are too large: a FIFO config, FIFO env
// files, an env_file of /dev/zero, an oversize config, a FIFO state.json. Each is refused at
// once with the file named, and nothing already running waits on it. Every CLI call has a
// deadline, so a read that blocks shows as a failure, not as a stuck test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

// Long enough for a loaded machine, far shorter than a read that waits forever.
const DEADLINE_MS = 10_000;

const SLEEPER = `
services:
  app:
    command: [sleep, "600"]
    min_uptime: 100ms
`;

// Writes a line every 20 ms, numbered, so that log writing can be watched.
const TICKER = `
services:
  ticker:
    command: [sh, -c, 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.02; done']
    min_uptime: 100ms
`;

function mkfifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

// Opens each FIFO for writing and closes it: a reader blocked on it (old code) sees EOF and
// returns, so the daemon can be taken down. ENXIO means nobody reads it.
function releaseFifos(paths: string[]): void {
  for (const path of paths) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader, or gone
    }
  }
}

async function pidOf(s: Sandbox, name: string): Promise<number | null> {
  return (await s.status()).instances.find((i) => i.name === name)?.pid ?? null;
}

function countLines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
}

void describe('files that are not regular files, or too large', () => {
  let s: Sandbox | undefined;
  let fifos: string[] = [];
  afterEach(async () => {
    releaseFifos(fifos);
    fifos = [];
    await s?.cleanup();
    s = undefined;
  });

  void it('a config that is a FIFO: up and reload are refused at once, naming it', async () => {
    s = sandbox();
    s.config(SLEEPER);
    const fifo = mkfifo(join(s.dir, 'fifo.yaml'));
    fifos.push(fifo);
    const refused = await s.warden(['up', '-f', 'fifo.yaml'], { timeoutMs: DEADLINE_MS });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`${fifo}: is a FIFO, not a regular file`));

    const up = await s.warden(['up'], { timeoutMs: DEADLINE_MS });
    assert.equal(up.code, 0, up.stderr);
    const pid = await waitFor('app running', async () => (await pidOf(s!, 'app')) ?? undefined);
    const config = join(s.dir, 'warden.yaml');
    rmSync(config);
    fifos.push(mkfifo(config));
    const reload = await s.warden(['reload'], { timeoutMs: DEADLINE_MS });
    assert.equal(reload.code, 2, reload.stderr);
    assert.match(reload.stderr, new RegExp(`${config}: is a FIFO`));
    assert.equal(await pidOf(s, 'app'), pid, 'the service runs on, untouched');
  });

  void it('FIFO env files in a reload: refused at once, and log lines keep being written', async () => {
    s = sandbox();
    s.config(TICKER);
    const up = await s.warden(['up'], { timeoutMs: DEADLINE_MS });
    assert.equal(up.code, 0, up.stderr);
    const log = join(s.home, 'logs', 'ticker.log');
    await waitFor('ticker logging', () => countLines(log) > 5);
    // Four: as many as libuv's file-I/O threads, which four blocked reads would all hold.
    let yaml = TICKER;
    for (let i = 0; i < 4; i++) {
      fifos.push(mkfifo(join(s.dir, `env${i}`)));
      yaml += `  reader${i}:\n    command: [sleep, "600"]\n    env_file: env${i}\n`;
    }
    s.config(yaml);
    // Awaited first: with reads that block, it times out, and the log must still grow after it.
    const reload = await s.warden(['reload'], { timeoutMs: DEADLINE_MS });
    const before = countLines(log);
    await waitFor(
      'log lines written after the reload',
      () => countLines(log) >= before + 20,
      DEADLINE_MS,
    );
    assert.equal(reload.code, 2, reload.stderr);
    assert.match(reload.stderr, new RegExp(`env file ${join(s.dir, 'env0')} is a FIFO`));
    assert.deepEqual(
      (await s.status()).instances.map((i) => i.name),
      ['ticker'],
      'nothing was added',
    );
  });

  void it('an env_file of /dev/zero is refused, naming it', async () => {
    s = sandbox();
    s.config(`${SLEEPER}    env_file: /dev/zero\n`);
    const up = await s.warden(['up'], { timeoutMs: DEADLINE_MS });
    assert.equal(up.code, 2, up.stderr);
    assert.match(up.stderr, /env file \/dev\/zero is a character device, not a regular file/);
  });

  void it('a config over 10 MiB is refused before it is read', async () => {
    s = sandbox();
    const padding = `# ${'x'.repeat(1021)}\n`.repeat(11 * 1024);
    const path = s.config(`${SLEEPER}${padding}`);
    const up = await s.warden(['up'], { timeoutMs: DEADLINE_MS });
    assert.equal(up.code, 2, up.stderr);
    const size = statSync(path).size;
    assert.match(
      up.stderr,
      new RegExp(`${path}: is ${size} bytes, over the 10 MiB limit for a config`),
    );
    assert.equal(existsSync(join(s.home, 'warden.sock')), false, 'no daemon was started');
  });

  void it('a state.json that is a FIFO counts as unusable: the daemon starts', async () => {
    s = sandbox();
    s.config(SLEEPER);
    mkdirSync(s.home, { recursive: true, mode: 0o700 });
    const state = join(s.home, 'state.json');
    fifos.push(mkfifo(state));
    const up = await s.warden(['up'], { timeoutMs: DEADLINE_MS });
    assert.equal(up.code, 0, up.stderr);
    await waitFor('app running', async () => (await pidOf(s!, 'app')) ?? undefined);
    const daemonLog = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(daemonLog, /state\.json unusable \(.*is a FIFO, not a regular file\)/);
  });
});
