// `warden restart --rolling` must not report success when a new instance reached `running` and
// then ended by itself (an exit, an automatic restart) before the rolling restart was over.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { Sandbox } from '../helpers/cli.js';
import { running, SERVER, upServers } from '../helpers/rolling.js';

void describe('warden restart --rolling, when a new instance does not stay running', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('fails, naming it, when a new instance ends after it was running', async () => {
    // Once the marker (the old pid) exists, the extra instance (index 1) serves, then exits 1
    // as soon as the old process is gone: it reached running, then crashed and was restarted
    // automatically during the rolling restart. The new web waits for that crash before it
    // serves, so the crash comes before the rolling restart could end.
    const gate = (port: number): string =>
      [
        'if [ -e marker ] && [ "$WARDEN_INSTANCE" = 1 ]; then',
        `  python3 ${SERVER} ${port} & server=$!;`,
        '  while kill -0 "$(cat marker)" 2>/dev/null; do sleep 0.02; done;',
        '  echo "extra: lost the old process, exiting" >&2; touch crashed; kill $server; exit 1;',
        'fi;',
        'if [ -e marker ]; then while [ ! -e crashed ]; do sleep 0.02; done; fi; ',
      ].join(' ');
    const up = await upServers(gate, 1);
    s = up.s;
    writeFileSync(join(s.dir, 'marker'), String(up.pids[0]));
    const r = await s.warden(['restart', '--rolling', 'web']);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /restarted one by one/);
    assert.match(r.stderr, /web:1/, 'the message names the instance that crashed');
    assert.match(r.stderr, /exit 1/, 'and its last exit');
    assert.match(r.stderr, /extra: lost the old process, exiting/, 'and its last error');
    assert.doesNotMatch(r.stderr, /internal error/);
    // The restarted instance serves; the extra one is gone.
    const now = await running(s);
    assert.deepEqual([...now.keys()], ['web']);
    assert.notEqual(now.get('web'), up.pids[0]);
  });

  void it('fails, naming it, when a restarted instance crashes while the next one restarts', async () => {
    // Once the marker (old web:1's pid) exists, the new web:0 serves, then exits 1 as soon as
    // old web:1 is gone; the new web:1 waits for that crash before it serves.
    const gate = (port: number): string =>
      [
        'if [ -e marker ] && [ "$WARDEN_INSTANCE" = 0 ]; then',
        `  python3 ${SERVER} ${port} & server=$!;`,
        '  while kill -0 "$(cat marker)" 2>/dev/null; do sleep 0.02; done;',
        '  echo "web:0: lost its peer, exiting" >&2; touch crashed; kill $server; exit 1;',
        'fi;',
        'if [ -e marker ] && [ "$WARDEN_INSTANCE" = 1 ]; then',
        '  while [ ! -e crashed ]; do sleep 0.02; done;',
        'fi; ',
      ].join(' ');
    const up = await upServers(gate);
    s = up.s;
    writeFileSync(join(s.dir, 'marker'), String(up.pids[1]));
    const r = await s.warden(['restart', '--rolling', 'web']);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /web:0 did not stay running \(exit 1, stderr: web:0: lost its peer, exiting; now \w+\); restarted: web:1; web:2 serves until it runs/,
    );
  });
});
