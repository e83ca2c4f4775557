// A port of libc-test's daemon-failure check to daemonize(): a daemonizer that cannot do its
// job says so to its caller (EMFILE, ENOENT...) and never leaves a forked child behind.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { libFixture, libSandbox, type LibSandbox } from '../helpers/lib.js';

const FIXTURE = libFixture('daemonize-failure');

interface Report {
  code?: string;
  message?: string;
  returned?: boolean;
  samePid: boolean;
  ppid: number;
  children: string;
}

async function run(s: LibSandbox, spec: object, limit = 256): Promise<Report> {
  // A low fd limit keeps filling every fd quick.
  const r = await s.sh(`ulimit -n ${limit} && exec "$1" "$2" "$3"`, [
    process.execPath,
    FIXTURE,
    JSON.stringify(spec),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

void describe('daemonize() failing in the caller', () => {
  let s: LibSandbox;
  afterEach(() => s.cleanup());

  // free 0: /dev/null cannot be opened; 1-3: the handshake socketpair or libuv's own pipe cannot.
  for (const free of [0, 1, 2, 3]) {
    void it(`reports EMFILE and did not fork with every fd taken but ${free}`, async () => {
      s = libSandbox();
      const report = await run(s, { free });
      assert.equal(report.code, 'EMFILE', JSON.stringify(report));
      assert.match(report.message ?? '', /EMFILE/);
      assert.equal(report.samePid, true, 'same pid');
      assert.notEqual(report.ppid, 1, 'parent not 1: the caller was not left by a fork');
      assert.equal(report.children, '', 'no child process');
      assert.deepEqual(s.processes(), [], 'no process left');
    });
  }

  const bad: [string, object, string][] = [
    ['a pid file in a missing directory', { pidFile: 'missing/app.pid' }, 'ENOENT'],
    ['a pid file under /dev/null', { pidFile: '/dev/null/app.pid' }, 'ENOTDIR'],
    ['a stdout file in a missing directory', { stdout: 'missing/out.log' }, 'ENOENT'],
  ];
  for (const [what, options, code] of bad) {
    void it(`throws ${code} before spawning for ${what}`, async () => {
      s = libSandbox();
      const report = await run(s, { options });
      assert.equal(report.code, code, JSON.stringify(report));
      assert.equal(report.children, '');
      assert.deepEqual(s.processes(), []);
    });
  }
});
