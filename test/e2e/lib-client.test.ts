// connect(): the library's typed client drives a real daemon started by `warden up`.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connect, NoDaemonError, RemoteError, type WardenEvent } from '../../src/lib/index.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

const SLEEPER = `
services:
  sleeper:
    command: [sleep, "600"]
    min_uptime: 100ms
`;

void describe('connect()', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('says NO_DAEMON when nothing runs', async () => {
    s = sandbox();
    await assert.rejects(connect({ home: s.home }), (e) => e instanceof NoDaemonError);
  });

  void it('reads status, stops, starts and restarts, and streams the events', async () => {
    s = sandbox();
    s.config(SLEEPER);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const client = await connect({ home: s.home });
    try {
      const status = await client.status();
      assert.equal(status.daemon.pid, client.daemon.pid);
      assert.equal(status.instances[0]?.state, 'running');

      const events = client.events(['sleeper']);
      const seen: WardenEvent[] = [];
      const collecting = (async () => {
        for await (const e of events) {
          seen.push(e);
          if (seen.length === 4) break;
        }
      })();
      assert.deepEqual(await events.subscribed, ['sleeper']);
      const stopped = await client.stop(['sleeper']);
      assert.equal(stopped.instances[0]?.state, 'stopped');
      assert.deepEqual(stopped.instances[0]?.survivors, []);
      assert.deepEqual(await client.start(['sleeper']), { instances: ['sleeper'] });
      await waitFor('running again', async () =>
        (await client.status(['sleeper'])).instances[0]?.state === 'running' ? true : undefined,
      );
      await collecting;
      const moves = seen.map((e) => ('from' in e ? `${e.from}->${e.to}` : `dropped ${e.dropped}`));
      assert.deepEqual(moves, [
        'running->stopping',
        'stopping->stopped',
        'stopped->starting',
        'starting->running',
      ]);
      await assert.rejects(
        client.events(['nope']).next(),
        (e) => e instanceof RemoteError && e.code === 'UNKNOWN_SERVICE',
      );
      assert.deepEqual(await client.restart(['sleeper']), { instances: ['sleeper'] });
      await assert.rejects(
        client.start(['nope']),
        (e) => e instanceof RemoteError && e.code === 'UNKNOWN_SERVICE',
      );
    } finally {
      client.close();
    }
  });
});
