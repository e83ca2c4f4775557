// `listen`: sockets warden binds and passes as sd_listen_fds(3) does, read by a Python program
// written for systemd socket activation (test/fixtures/bin/listen-fds-server.py), through each
// start path (warden-spawner, and posix_spawn under process-group containment); the config's
// refusals; an address in use refused without touching what runs.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ROOT, processesOfHome, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { ask, boundPort, holdPort } from '../helpers/listen.js';

const SERVER = join(ROOT, 'test', 'fixtures', 'bin', 'listen-fds-server.py');

/** The running instances' pids by name. */
async function pids(s: Sandbox): Promise<Map<string, number>> {
  const r = await s.status();
  return new Map(
    r.instances.flatMap((i) => (i.state === 'running' && i.pid !== null ? [[i.name, i.pid]] : [])),
  );
}

const pythonService = (name: string, address: string, instances = 2): string => `
  ${name}:
    command: [python3, ${JSON.stringify(SERVER)}]
    instances: ${instances}
    listen: [{ name: web, address: ${JSON.stringify(address)} }]
    ready: { notify: true }
    stop_timeout: 5s
`;

void describe('listen', () => {
  let s: Sandbox | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });

  for (const containment of ['default', 'process-group'] as const) {
    void it(`passes the socket as fd 3 with LISTEN_PID the instance's pid (${containment})`, async () => {
      s = sandbox();
      if (containment === 'process-group') s.env.WARDEN_CONTAINMENT = 'process-group';
      s.config(`services:${pythonService('py', '127.0.0.1:0')}`);
      const up = await s.warden(['up', '--wait'], { timeoutMs: 90_000 });
      assert.equal(up.code, 0, up.stderr);
      const running = await pids(s);
      assert.equal(running.size, 2, JSON.stringify([...running]));
      const port = await boundPort(s, 'py');
      // The kernel gives each connection to one of the instances accepting on the shared socket.
      const seen = new Map<number, string>();
      await waitFor(
        'both instances answering on the one port',
        async () => {
          const a = await ask(port);
          assert.ok('line' in a, JSON.stringify(a));
          const [pid = '', listenPid, count, names] = a.line.trim().split(' ');
          seen.set(Number(pid), `${listenPid} ${count} ${names}`);
          return seen.size === 2;
        },
        60_000,
        0,
      );
      const ps = await s.warden(['ps']);
      assert.match(ps.stdout, new RegExp(`listen fd 3 web 127\\.0\\.0\\.1:${port}`));
      for (const pid of running.values())
        assert.equal(
          seen.get(pid),
          `${pid} 1 web`,
          `instance ${pid}: LISTEN_PID, LISTEN_FDS, names`,
        );
    });
  }

  void it('refuses two services claiming one address at config time, starting nothing', async () => {
    s = sandbox();
    const { port, server } = await holdPort();
    server.close();
    s.config(
      `services:${pythonService('a', `127.0.0.1:${port}`)}${pythonService('b', String(port))}`,
    );
    const up = await s.warden(['up']);
    assert.equal(up.code, 2, up.stdout + up.stderr);
    assert.match(
      up.stderr,
      new RegExp(
        `services\\.b\\.listen\\[0\\].*${port} is already claimed by service "a" \\(127\\.0\\.0\\.1:${port}\\)`,
      ),
    );
    assert.deepEqual(processesOfHome(s.home), [], 'no daemon or instance was started');
  });

  void it('refuses a tcp readiness check on the shared address, with a hint', async () => {
    s = sandbox();
    s.config(`
services:
  web:
    command: [python3, ${JSON.stringify(SERVER)}]
    listen: ["127.0.0.1:8123"]
    ready: { tcp: 8123 }
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2, up.stdout + up.stderr);
    assert.match(
      up.stderr,
      /services\.web\.ready\.tcp.*listen socket 127\.0\.0\.1:8123.*notify: true/,
    );
  });

  void it('refuses an address in use, naming service, address and errno; what runs is untouched', async () => {
    s = sandbox();
    s.config(`services:${pythonService('a', '127.0.0.1:0', 1)}`);
    assert.equal((await s.warden(['up', '--wait'], { timeoutMs: 90_000 })).code, 0);
    const before = await pids(s);
    const aPort = await boundPort(s, 'a');
    const { port, server } = await holdPort();
    try {
      // b wants a port another program holds; a's own socket is kept as it is.
      s.config(
        `services:${pythonService('a', '127.0.0.1:0', 1)}${pythonService('b', `127.0.0.1:${port}`, 1)}`,
      );
      const reload = await s.warden(['reload']);
      assert.equal(reload.code, 2, reload.stdout + reload.stderr);
      assert.match(
        reload.stderr,
        new RegExp(`services\\.b\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`),
      );
      const after = await s.status();
      assert.deepEqual(
        after.instances.map((i) => i.name),
        ['a'],
        'b was not added',
      );
      assert.deepEqual(await pids(s), before, 'a kept running, same pid');
      assert.equal(await boundPort(s, 'a'), aPort, "a's socket was kept");
      const a = await ask(aPort);
      assert.ok('line' in a && a.line.startsWith(`${before.get('a')} `), JSON.stringify(a));
    } finally {
      server.close();
    }
  });

  void it('keeps the socket across a reload that keeps the address, rebinds a changed one, closes a removed one', async () => {
    s = sandbox();
    s.config(`services:${pythonService('a', '127.0.0.1:0', 1)}`);
    assert.equal((await s.warden(['up', '--wait'], { timeoutMs: 90_000 })).code, 0);
    const port = await boundPort(s, 'a');
    const pid = (await pids(s)).get('a');
    // A new backlog applies to the socket as it is: no restart, same port.
    s.config(
      `services:${pythonService('a', '127.0.0.1:0', 1).replace('name: web,', 'name: web, backlog: 7,')}`,
    );
    assert.equal((await s.warden(['reload'])).code, 0);
    assert.equal(await boundPort(s, 'a'), port);
    assert.deepEqual([...(await pids(s)).values()], [pid], 'not restarted');
    assert.equal((await s.status()).sockets[0]?.backlog, 7);
    // Another address: bound anew, the instance restarted onto it, the old port closed.
    const { port: other, server } = await holdPort();
    server.close();
    s.config(`services:${pythonService('a', `127.0.0.1:${other}`, 1)}`);
    assert.equal((await s.warden(['reload'])).code, 0);
    assert.equal(await boundPort(s, 'a'), other);
    const box = s;
    const renewed = await waitFor(
      'a running again',
      async () => (await pids(box)).get('a'),
      60_000,
    );
    assert.notEqual(renewed, pid);
    const a = await ask(other);
    assert.ok('line' in a && a.line.startsWith(`${renewed} `), JSON.stringify(a));
    assert.deepEqual(await ask(port), { error: 'ECONNREFUSED' }, 'the old port is closed');
    // The service removed: its socket is closed with it.
    s.config('services:\n  z:\n    command: sleep 600\n');
    assert.equal((await s.warden(['reload'])).code, 0);
    assert.deepEqual(await ask(other), { error: 'ECONNREFUSED' }, "the removed service's port");
    assert.deepEqual((await s.status()).sockets, []);
  });

  void it('gives a unix socket its mode and owner, and removes it at down', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root (chown)');
    s = sandbox();
    const path = join(s.dir, 'app.sock');
    s.config(`
services:
  py:
    command: [python3, ${JSON.stringify(SERVER)}]
    listen: [{ address: "unix:app.sock", mode: "0660", user: nobody, group: nogroup }]
    ready: { notify: true }
`);
    const up = await s.warden(['up', '--wait'], { timeoutMs: 90_000 });
    assert.equal(up.code, 0, up.stderr);
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 65534, 'owned by nobody');
    const a = await ask(path);
    assert.ok('line' in a && / 1 py\n$/.test(a.line), JSON.stringify(a));
    const status = await s.status();
    assert.equal(status.sockets[0]?.bound, `unix:${path}`);
    await s.warden(['down']);
    assert.equal(existsSync(path), false, 'the socket file is removed');
  });
});
