// A Procfile runs as it is: `warden up -f Procfile` (foreman's format), its `.env` beside it,
// PORT per process type with --port-base; a malformed line is an error with its line.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

const PROCFILE = `# processes of the app
web: echo "web $PORT $GREETING" > web.out; exec sleep 600
worker: echo "worker $PORT $GREETING" > worker.out; exec sleep 600
`;

const contentOf = (path: string) => existsSync(path) && readFileSync(path, 'utf8').trim();

void describe('warden up -f Procfile', () => {
  let s: Sandbox;
  before(() => {
    s = sandbox();
    s.config(PROCFILE, 'Procfile');
    writeFileSync(join(s.dir, '.env'), 'GREETING=hello\n');
  });
  after(() => s.cleanup());

  void it('starts each process type with .env and PORT from --port-base', async () => {
    const up = await s.warden(['up', '-f', 'Procfile', '--port-base', '6000', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const web = await waitFor('web.out', () => contentOf(join(s.dir, 'web.out')));
    const worker = await waitFor('worker.out', () => contentOf(join(s.dir, 'worker.out')));
    assert.equal(web, 'web 6000 hello');
    assert.equal(worker, 'worker 6100 hello');
    const names = (await s.status()).instances.map((i) => `${i.name}:${i.state}`);
    assert.deepEqual(names, ['web:running', 'worker:running']);
  });

  void it('reload keeps the port base of up', async () => {
    writeFileSync(
      join(s.dir, 'Procfile'),
      `${PROCFILE}clock: echo "clock $PORT" > clock.out; exec sleep 600\n`,
    );
    const reload = await s.warden(['reload']);
    assert.equal(reload.code, 0, reload.stderr);
    const clock = await waitFor('clock.out', () => contentOf(join(s.dir, 'clock.out')));
    assert.equal(clock, 'clock 6200');
    assert.doesNotMatch(reload.stdout, /web|worker/, 'web and worker are unchanged');
  });

  void it('a malformed line is a config error with its line, and starts nothing', async () => {
    const t = sandbox();
    try {
      t.config('web: sleep 600\nthis line has no colon\n', 'Procfile.dev');
      const up = await t.warden(['up', '-f', 'Procfile.dev']);
      assert.equal(up.code, 2, up.stderr);
      assert.match(up.stderr, /Procfile\.dev:2:1: .*NAME: command/);
      assert.doesNotMatch(up.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await t.cleanup();
    }
  });
});
