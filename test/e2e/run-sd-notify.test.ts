// `warden run` under systemd Type=notify: the test binds the datagram socket systemd would and
// names it in NOTIFY_SOCKET (a path, or @abstract). READY=1 comes once every service settled,
// with STATUS= counts; RELOADING=1 (MONOTONIC_USEC=) then READY=1 around a SIGHUP; STOPPING=1
// at SIGTERM; WATCHDOG=1 at half of WATCHDOG_USEC, only when WATCHDOG_PID is warden's (or unset).
// Every datagram comes from warden's own pid (NotifyAccess=main).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import {
  allocateReceiveBuffers,
  bindDatagramSocket,
  closeSocket,
  receiveDatagram,
} from '../../src/effects/ffi/unix-dgram.js';
import { processesOfHome, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

/** What the test's "systemd" received: each datagram's text, when, and from which pid. */
interface Received {
  text: string;
  at: bigint;
  pid: number | undefined;
}

/** The socket systemd would bind, read without blocking. */
// The exit code of `child`: already there, or when it comes (it may have exited while the test
// waited for a message, and 'exit' is not emitted twice).
function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function listen(address: string): { fd: number; take: () => Received[] } {
  const fd = bindDatagramSocket(address);
  const bufs = allocateReceiveBuffers(4096);
  return {
    fd,
    take: () => {
      const got: Received[] = [];
      for (
        let d = receiveDatagram(fd, bufs, false);
        d !== null;
        d = receiveDatagram(fd, bufs, false)
      )
        got.push({
          text: Buffer.from(d.data).toString(),
          at: process.hrtime.bigint(),
          pid: d.sender?.pid,
        });
      return got;
    },
  };
}

const CONFIG = `
services:
  web:
    command: env > env.txt; exec sleep 600
    instances: 2
    min_uptime: 700ms
    stop_timeout: 3s
  once:
    command: exit 3
    restart: never
`;

void describe('warden run speaks sd_notify to systemd', () => {
  let s: Sandbox;
  let run: ChildProcess | undefined;
  let fd: number | undefined;
  afterEach(async () => {
    if (run?.exitCode === null) run.kill('SIGKILL');
    if (fd !== undefined) closeSocket(fd);
    fd = undefined;
    await s.cleanup();
  });

  function start(env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string } {
    // No controlling terminal (setsid), as under systemd: there SIGHUP reloads.
    const child = spawn(WARDEN, ['run'], {
      env: { ...s.env, ...env },
      cwd: s.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return { child, stderr: () => err };
  }

  void it('READY=1 once settled, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 at SIGTERM, watchdog', async () => {
    s = sandbox();
    s.config(CONFIG);
    const sock = listen(join(s.dir, 'notify.sock'));
    fd = sock.fd;
    const began = process.hrtime.bigint();
    const { child, stderr } = start({
      NOTIFY_SOCKET: join(s.dir, 'notify.sock'),
      WATCHDOG_USEC: '300000',
    });
    run = child;
    const seen: Received[] = [];
    const until = (what: string, match: RegExp): Promise<Received> =>
      waitFor(`${what} (got ${JSON.stringify(seen.map((r) => r.text))}; ${stderr()})`, () => {
        seen.push(...sock.take());
        return seen.find((r) => match.test(r.text));
      });

    const ready = await until('READY=1', /^READY=1$/m);
    const report = await s.status();
    const states = report.instances.map((i) => `${i.name} ${i.state}`);
    assert.deepEqual(states, ['web:0 running', 'web:1 running', 'once exited']);
    assert.ok(ready.at - began >= 700_000_000n, 'not before min_uptime made web running');
    assert.match(ready.text, /^STATUS=2 running, 1 exited$/m);
    assert.ok(
      seen.slice(0, seen.indexOf(ready)).every((r) => !/READY=1/.test(r.text)),
      'one READY=1 at start-up',
    );
    // The services never see warden's own NOTIFY_SOCKET, nor its watchdog.
    const env = readFileSync(join(s.dir, 'env.txt'), 'utf8');
    assert.doesNotMatch(env, /^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=/m);

    const pings = (): number => seen.filter((r) => /^WATCHDOG=1$/m.test(r.text)).length;
    await waitFor('two watchdog pings', () => {
      seen.push(...sock.take());
      return pings() >= 2;
    });

    const beforeHup = process.hrtime.bigint() / 1000n;
    const mark = seen.length;
    child.kill('SIGHUP');
    const reloading = await until('RELOADING=1', /^RELOADING=1$/m);
    const usec = BigInt(/^MONOTONIC_USEC=(\d+)$/m.exec(reloading.text)?.[1] ?? '0');
    assert.ok(usec >= beforeHup && usec <= process.hrtime.bigint() / 1000n, 'CLOCK_MONOTONIC µs');
    const again = await waitFor('READY=1 after the reload', () => {
      seen.push(...sock.take());
      return seen.slice(seen.indexOf(reloading)).find((r) => /^READY=1$/m.test(r.text));
    });
    assert.ok(seen.indexOf(reloading) >= mark && seen.indexOf(again) > seen.indexOf(reloading));

    // `warden reload` from the CLI is a reload too: systemd hears of it the same way.
    const cli = await s.warden(['reload']);
    assert.equal(cli.code, 0, cli.stderr);
    const reloadingCli = await waitFor('RELOADING=1 for warden reload', () => {
      seen.push(...sock.take());
      return seen.slice(seen.indexOf(again) + 1).find((r) => /^RELOADING=1$/m.test(r.text));
    });
    await waitFor('READY=1 after warden reload', () => {
      seen.push(...sock.take());
      return seen.slice(seen.indexOf(reloadingCli) + 1).find((r) => /^READY=1$/m.test(r.text));
    });

    child.kill('SIGTERM');
    await until('STOPPING=1', /^STOPPING=1$/m);
    await until('EXTEND_TIMEOUT_USEC', /^EXTEND_TIMEOUT_USEC=\d+$/m);
    const code = await exitOf(child);
    assert.equal(code, 0, stderr());
    seen.push(...sock.take());
    assert.deepEqual(
      [...new Set(seen.map((r) => r.pid))],
      [child.pid],
      'every message from warden itself (NotifyAccess=main)',
    );
    assert.deepEqual(processesOfHome(s.home), []);
  });

  void it('speaks to an @abstract socket; no watchdog pings when WATCHDOG_PID is another pid', async () => {
    s = sandbox();
    s.config(CONFIG);
    const name = `@warden-test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const sock = listen(name);
    fd = sock.fd;
    const { child, stderr } = start({
      NOTIFY_SOCKET: name,
      WATCHDOG_USEC: '100000',
      WATCHDOG_PID: String(process.pid),
    });
    run = child;
    const seen: Received[] = [];
    await waitFor(`READY=1 (${stderr()})`, () => {
      seen.push(...sock.take());
      return seen.some((r) => /^READY=1$/m.test(r.text));
    });
    child.kill('SIGTERM');
    await waitFor(`STOPPING=1 (${stderr()})`, () => {
      seen.push(...sock.take());
      return seen.some((r) => /^STOPPING=1$/m.test(r.text));
    });
    assert.equal(await exitOf(child), 0, stderr());
    // It ran for longer than min_uptime (700ms): pings every 50ms would have come by now.
    const texts = seen.map((r) => r.text);
    assert.ok(!texts.some((text) => /WATCHDOG=1/.test(text)), JSON.stringify(texts));
  });
});
