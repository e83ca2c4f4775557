// state.json: atomic writes, and reads that tell a usable file from a corrupt one.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  readState,
  STATE_FORMAT,
  StateSaver,
  writeState,
  type DaemonState,
} from '../../src/daemon/state-file.js';
import { makeSpec } from '../helpers/core-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sample(pid = 4242): DaemonState {
  return {
    format: STATE_FORMAT,
    warden: '0.0.0-test',
    daemonPid: 1,
    savedAt: 1_700_000_000_000,
    config: '/srv/warden.yaml',
    services: [
      {
        spec: makeSpec(),
        instances: [
          {
            name: 'web',
            index: 0,
            current: { state: 'running', since: 1_700_000_000_000, pid },
            restarts: 2,
            consecutiveFailures: 0,
            failedStarts: [],
            lastExit: { code: 1 },
            runStartedAt: 1_699_999_999_000,
            process: {
              pid,
              startTime: 123456,
              startedAt: 1_700_000_000_000,
              spawnedAs: 'abcdef0123456789',
              tree: { marker: 'WARDEN_INVOCATION=00ff' },
              pipes: { stdout: 11, stderr: 12 },
            },
          },
        ],
      },
    ],
  };
}

void describe('state.json', () => {
  void it('reads back what was written, leaving no temp file', async () => {
    const path = join(dir, 'round.json');
    await writeState(path, sample());
    assert.deepEqual(await readState(path), { kind: 'ok', state: sample() });
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('round')),
      ['round.json'],
    );
  });

  void it('is none when missing', async () => {
    assert.deepEqual(await readState(join(dir, 'missing.json')), { kind: 'none' });
  });

  for (const [what, damage] of [
    ['truncated', (text: string) => text.slice(0, text.length / 2)],
    ['garbage', () => '\u0000\u0001 not json'],
    ['of another format', (text: string) => text.replace('"format":1', '"format":99')],
    ['edited (checksum)', (text: string) => text.replace('"pid":4242', '"pid":4243')],
    ['missing a field', (text: string) => text.replace('"startTime":123456,', '')],
  ] as const) {
    void it(`is corrupt when ${what}, with a reason`, async () => {
      const path = join(dir, `${what.replace(/\W/g, '')}.json`);
      await writeState(path, sample());
      writeFileSync(path, damage(readFileSync(path, 'utf8')));
      const read = await readState(path);
      assert.equal(read.kind, 'corrupt');
      assert.ok(read.kind === 'corrupt' && read.why.length > 0);
    });
  }

  void it('a saver writes the last state after a burst of changes', async () => {
    const path = join(dir, 'saver.json');
    let pid = 1;
    const saver = new StateSaver(path, () => sample(pid), assert.fail);
    for (; pid < 50; pid++) saver.schedule();
    await saver.flush();
    const read = await readState(path);
    assert.ok(read.kind === 'ok');
    assert.equal(read.state.services[0]?.instances[0]?.process?.pid, 50);
  });
});
