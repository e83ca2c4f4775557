// `listen` across daemons: after `down --keep-services`, the instances serve on (they hold the
// socket), and the next daemon takes the socket back from them (pidfd_getfd) instead of binding
// anew, so the port stays the same and a restarted instance shares it with the adopted ones.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ROOT, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { ask, boundPort } from '../helpers/listen.js';

const SERVER = join(ROOT, 'test', 'fixtures', 'bin', 'listen-fds-server.py');

void describe('listen across daemons', () => {
  let s: Sandbox | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });

  void it('takes the socket back from adopted instances at the next up', async () => {
    const box = (s = sandbox());
    box.config(`
services:
  py:
    command: [python3, ${JSON.stringify(SERVER)}]
    instances: 2
    listen: [{ name: web, address: "127.0.0.1:0" }, { name: sock, address: "unix:app.sock" }]
    ready: { notify: true }
    stop_timeout: 5s
`);
    assert.equal((await box.warden(['up', '--wait'], { timeoutMs: 90_000 })).code, 0);
    const port = await boundPort(box, 'py');
    const [first, second] = (await box.status()).instances.map((i) => i.pid ?? 0);
    const down = await box.warden(['down', '--keep-services']);
    assert.equal(down.code, 0, down.stderr);
    // No daemon: the instances still accept on the socket they were given, and the unix
    // socket's file is left for them.
    const meanwhile = await ask(port);
    assert.ok('line' in meanwhile, JSON.stringify(meanwhile));
    assert.ok(statSync(join(box.dir, 'app.sock')).isSocket(), 'the unix socket file is kept');

    const up = await box.warden(['up', '--wait'], { timeoutMs: 90_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const after = await box.status();
    assert.deepEqual(
      after.instances.map((i) => i.pid),
      [first, second],
      'both instances were adopted',
    );
    assert.equal(await boundPort(box, 'py'), port, 'the same socket, taken back');
    assert.deepEqual(
      (await box.status()).sockets.map((k) => k.bound),
      [`127.0.0.1:${port}`, `unix:${join(box.dir, 'app.sock')}`],
    );

    // A restarted instance gets the very socket the adopted one still serves on.
    assert.equal((await box.warden(['restart', 'py:0'], { timeoutMs: 90_000 })).code, 0);
    const fresh = await waitFor(
      'py:0 running again',
      async () => {
        const i = (await box.status()).instances[0];
        return i?.state === 'running' && i.pid !== first && i.pid;
      },
      60_000,
    );
    const seen = new Set<string>();
    await waitFor(
      'both the new and the adopted instance answering on the port',
      async () => {
        const a = await ask(port);
        assert.ok('line' in a, JSON.stringify(a));
        seen.add(a.line.trim());
        return (
          seen.has(`${fresh} ${fresh} 2 web:sock`) && seen.has(`${second} ${second} 2 web:sock`)
        );
      },
      60_000,
      0,
    );
  });
});
