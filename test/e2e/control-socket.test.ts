// The control socket shrugs off bad input: malformed lines get an error reply, a client that
// goes away mid-request does no harm.
import assert from 'node:assert/strict';
import { chmodSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { askProof, proofOf, readProofKey } from '../../src/ipc/daemon-proof.js';
import { runProcess, sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

function open(path: string): Promise<{ socket: Socket; next: () => Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => {
      let buffer = '';
      const waiting: ((v: unknown) => void)[] = [];
      const lines: unknown[] = [];
      socket.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl = buffer.indexOf('\n');
        while (nl !== -1) {
          const value: unknown = JSON.parse(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          const w = waiting.shift();
          if (w) w(value);
          else lines.push(value);
          nl = buffer.indexOf('\n');
        }
      });
      resolve({
        socket,
        next: () =>
          lines.length > 0 ? Promise.resolve(lines.shift()) : new Promise((r) => waiting.push(r)),
      });
    });
    socket.once('error', reject);
  });
}

void describe('control socket', () => {
  let s: Sandbox;
  before(async () => {
    s = sandbox();
    s.config('services:\n  sleeper:\n    command: [sleep, "600"]\n    min_uptime: 100ms\n');
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
  });
  after(() => s.cleanup());

  void it('answers malformed requests with an error and keeps serving', async () => {
    const c = await open(join(s.home, 'warden.sock'));
    const cases: [string, string][] = [
      ['this is not json', 'BAD_REQUEST'],
      ['[1,2,3]', 'BAD_REQUEST'],
      ['{"id":1}', 'BAD_REQUEST'],
      ['{"id":2,"method":"explode"}', 'UNKNOWN_METHOD'],
      ['{"id":3,"method":"stop","params":{"targets":"sleeper"}}', 'INVALID_PARAMS'],
      ['{"id":4,"method":"stop","params":{"targets":["ghost"]}}', 'UNKNOWN_SERVICE'],
      ['{"id":5,"method":"__proto__"}', 'UNKNOWN_METHOD'],
    ];
    for (const [line, code] of cases) {
      c.socket.write(`${line}\n`);
      const reply = (await c.next()) as { error?: { code: string } };
      assert.equal(reply.error?.code, code, `reply to ${line}`);
    }
    c.socket.write('{"id":"x","method":"hello"}\n');
    const hello = (await c.next()) as { id: string; result: { protocol: number } };
    assert.equal(hello.id, 'x');
    assert.equal(hello.result.protocol, 1);
    c.socket.end();
    const st = await s.status();
    assert.equal(st.instances[0]?.state, 'running');
  });

  void it('proves itself with the key of its home', async () => {
    const key = readProofKey(join(s.home, 'warden.key'), process.getuid?.() ?? 0);
    assert.ok(key !== undefined, 'the daemon wrote its key, mode 0600');
    const c = await open(join(s.home, 'warden.sock'));
    c.socket.write(`${JSON.stringify({ id: 1, method: 'prove', params: {} })}\n`);
    assert.deepEqual(await c.next(), { id: 1, result: { proof: proofOf(key) } });
    c.socket.end();
    const raw = connect(join(s.home, 'warden.sock'));
    await new Promise((resolve) => raw.once('connect', resolve));
    assert.equal(await askProof(raw, key), true, 'the client side takes it');
    raw.destroy();
  });

  void it('up with a source applies what the client checked; a bad one changes nothing', async () => {
    const c = await open(join(s.home, 'warden.sock'));
    const config = join(s.dir, 'warden.yaml');
    const sleeper = { command: ['sleep', '600'] };
    const bad: [unknown, RegExp][] = [
      [{ document: { services: { sleeper: { command: 42 } } }, order: ['sleeper'] }, /command/],
      // An order that leaves a service out would drop it (here: every service).
      [{ document: { services: { sleeper } }, order: [] }, /does not name each/],
      [{ document: { services: { sleeper } }, order: ['sleeper', 'sleeper'] }, /once/],
      [
        JSON.parse(
          '{"document":{"services":{"sleeper":{"command":["sleep","1"],"env":{"__proto__":{"x":1}}}}},"order":["sleeper"]}',
        ),
        /__proto__/,
      ],
    ];
    for (const [source, why] of bad) {
      c.socket.write(`${JSON.stringify({ id: 1, method: 'up', params: { config, source } })}\n`);
      const refused = (await c.next()) as { error?: { code: string; message: string } };
      assert.equal(refused.error?.code, 'CONFIG_ERROR', JSON.stringify(source));
      assert.match(refused.error?.message ?? '', why);
    }
    assert.equal((await s.status()).instances[0]?.state, 'running', 'nothing changed');
    const before = (await s.status()).instances.map((i) => [i.name, i.pid]);
    // Another service than the file names: the daemon applies the source, not the file.
    const document = {
      services: {
        sleeper: { command: ['sleep', '600'], min_uptime: '100ms' },
        extra: { command: ['sleep', '600'] },
      },
    };
    const params = { config, source: { document, order: ['sleeper', 'extra'] } };
    c.socket.write(`${JSON.stringify({ id: 2, method: 'up', params })}\n`);
    const applied = (await c.next()) as { result?: { added: string[] } };
    assert.deepEqual(applied.result?.added, ['extra']);
    const after = await s.status();
    assert.deepEqual(
      after.instances.map((i) => i.name),
      ['sleeper', 'extra'],
    );
    assert.deepEqual([after.instances[0]?.name, after.instances[0]?.pid], before[0], 'untouched');
    // Back to the file: the daemon reads it itself (no source), and extra goes.
    c.socket.write(`${JSON.stringify({ id: 3, method: 'reload' })}\n`);
    const reloaded = (await c.next()) as { result?: { removed: string[] } };
    assert.deepEqual(reloaded.result?.removed, ['extra']);
    c.socket.end();
  });

  void it('a client that disconnects mid-request does no harm', async () => {
    const c = await open(join(s.home, 'warden.sock'));
    c.socket.write('{"id":1,"method":"stop","params":{"targets":["sleeper"]}}\n');
    c.socket.destroy();
    await waitFor(
      'sleeper stopped',
      async () => (await s.status()).instances[0]?.state === 'stopped',
    );
    assert.equal((await s.warden(['start', 'sleeper'])).code, 0);
    await waitFor(
      'sleeper running',
      async () => (await s.status()).instances[0]?.state === 'running',
    );
  });
});

void describe('control socket peers', () => {
  void it('refuses a peer of another uid even when the socket mode would let it in', async (t) => {
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) {
      t.skip('needs root and setpriv to connect as another user');
      return;
    }
    const s = sandbox();
    try {
      s.config('services:\n  sleeper:\n    command: [sleep, "600"]\n');
      assert.equal((await s.warden(['up'])).code, 0);
      chmodSync(dirname(s.home), 0o755);
      chmodSync(s.home, 0o755);
      chmodSync(join(s.home, 'warden.sock'), 0o666);
      const r = await runProcess(
        '/usr/bin/setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', WARDEN, 'status'],
        { env: s.env, cwd: '/' },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /runs as uid 65534, the daemon as uid 0/);
      assert.equal((await s.warden(['status'])).code, 0, 'its own user is still served');
    } finally {
      await s.cleanup();
    }
  });
});
