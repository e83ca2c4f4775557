// notifyReady() and friends as real programs send them: sd_notify datagrams to a path or an
// @abstract socket the test binds, the s6 line on NOTIFICATION_FD, nothing without a supervisor,
// and READY=1 / the fd line as warden itself receives them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { Readable } from 'node:stream';
import {
  allocateReceiveBuffers,
  bindDatagramSocket,
  closeSocket,
  receiveDatagram,
} from '../../src/effects/ffi/unix-dgram.js';
import { runProcess, sandbox, type Sandbox } from '../helpers/cli.js';
import { libFixture, libSandbox, type LibSandbox } from '../helpers/lib.js';

const NOTIFY = libFixture('notify');
const DAEMON = libFixture('daemon');

async function notify(s: LibSandbox, env: object, calls: unknown[]): Promise<unknown> {
  const r = await runProcess(process.execPath, [NOTIFY, JSON.stringify(calls)], {
    env: { ...s.env, ...env },
    cwd: s.dir,
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// The sender has exited after a successful sendto, so its datagrams are queued: no waiting.
function takeDatagrams(fd: number, count: number): string[] {
  const bufs = allocateReceiveBuffers(4096);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const d = receiveDatagram(fd, bufs);
    assert.ok(d?.sender, 'every datagram carries its sender (SO_PASSCRED)');
    texts.push(Buffer.from(d.data).toString());
  }
  return texts;
}

const ALL = [['ready', 'serving on :8080'], ['status', 'busy\nvery'], ['stopping'], ['watchdog']];

void describe('notifyReady() and friends', () => {
  let s: LibSandbox;
  afterEach(() => s.cleanup());

  void it('speak sd_notify to a $NOTIFY_SOCKET path', async () => {
    s = libSandbox();
    const path = join(s.dir, 'notify.sock');
    const fd = bindDatagramSocket(path);
    try {
      assert.deepEqual(await notify(s, { NOTIFY_SOCKET: path }, ALL), [true, true, true, true]);
      assert.deepEqual(takeDatagrams(fd, 4), [
        'READY=1\nSTATUS=serving on :8080',
        'STATUS=busy very',
        'STOPPING=1',
        'WATCHDOG=1',
      ]);
    } finally {
      closeSocket(fd);
    }
  });

  void it('speak sd_notify to an @abstract $NOTIFY_SOCKET', async () => {
    s = libSandbox();
    const name = `@warden-lib-test-${randomBytes(6).toString('hex')}`;
    const fd = bindDatagramSocket(name);
    try {
      assert.deepEqual(await notify(s, { NOTIFY_SOCKET: name }, [['ready']]), [true]);
      assert.deepEqual(takeDatagrams(fd, 1), ['READY=1']);
    } finally {
      closeSocket(fd);
    }
  });

  void it('write one line to NOTIFICATION_FD, once, and nothing else there', async () => {
    s = libSandbox();
    const calls = [['status', 'x'], ['ready'], ['ready'], ['watchdog']];
    const child = spawn(process.execPath, [NOTIFY, JSON.stringify(calls)], {
      env: { ...s.env, NOTIFICATION_FD: '3' },
      stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    });
    let out = '';
    let line = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    (child.stdio[3] as Readable).on('data', (d: Buffer) => (line += d.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), [false, true, false, false]);
    assert.equal(line, '\n');
  });

  void it('do nothing and never throw without a supervisor; throw with the errno when it is gone', async () => {
    s = libSandbox();
    assert.deepEqual(await notify(s, {}, ALL), [false, false, false, false]);
    const gone = { NOTIFY_SOCKET: join(s.dir, 'nobody-listens.sock') };
    assert.deepEqual(await notify(s, gone, [['ready']]), [{ threw: 'ENOENT' }]);
  });
});

void describe('a daemonize() program under warden', () => {
  let w: Sandbox;
  afterEach(() => w.cleanup());

  for (const [ready, source] of [
    ['{ notify: true }', 'notify'],
    ['{ fd: 3 }', 'fd'],
  ] as const) {
    void it(`stays in the foreground and is ready by ${source}`, async () => {
      w = sandbox();
      const spec = JSON.stringify(JSON.stringify({ status: 'serving' }));
      w.config(`
services:
  app:
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DAEMON)}, ${spec}]
    ready: ${ready}
`);
      const r = await w.warden(['up', '--wait', '--timeout', '20s']);
      assert.equal(r.code, 0, r.stderr);
      const [app] = (await w.status()).instances;
      assert.equal(app?.state, 'running');
      assert.equal(app?.readySource, source);
      if (source === 'notify') assert.equal(app?.statusText, 'serving');
      // Not detached: the process warden started is the program itself, still running.
      const cmdline = readFileSync(`/proc/${app?.pid ?? 0}/cmdline`, 'utf8');
      assert.ok(cmdline.includes(DAEMON), cmdline);
    });
  }
});
