// The `warden status` table as people read it: the telling lines of a real crash (node, python3)
// rather than its epilogue, the sd_notify STATUS= text, and PIDS, CPU and MEM in process-group mode.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { skipWithout } from '../helpers/readiness.js';

const NO_PYTHON = skipWithout('python3', 'apt-get install python3');
const NO_SYSTEMD_NOTIFY = skipWithout('systemd-notify', 'apt-get install systemd');

/** The note lines printed under `name`'s row (indented), without their indentation. */
function notesOf(table: string, name: string): string[] {
  const lines = table.split('\n');
  const row = lines.findIndex((l) => l.startsWith(`${name} `));
  assert.ok(row > 0, `a row for ${name} in:\n${table}`);
  const notes: string[] = [];
  for (const l of lines.slice(row + 1)) {
    if (!l.startsWith('    ')) break;
    notes.push(l.slice(4));
  }
  return notes;
}

/** A server on a free loopback port, held by this test (the port a service then cannot take). */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port };
}

void describe('the status table', () => {
  let s: Sandbox;
  let held: Server | undefined;
  afterEach(async () => {
    await s.cleanup();
    held?.close();
    held = undefined;
  });

  void it('shows the error of a node crash, not its epilogue; --json keeps the raw tail', async () => {
    s = sandbox();
    const taken = await holdPort();
    held = taken.server;
    const server = `require('net').createServer().listen(${taken.port}, '127.0.0.1')`;
    s.config(`
services:
  api:
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}]
    restart: never
`);
    assert.equal((await s.warden(['up'])).code, 0);
    await waitFor('api exited', async () => (await s.status()).instances[0]?.state === 'exited');
    const table = await s.warden(['status']);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(notesOf(table.stdout, 'api'), [
      `stderr: Error: listen EADDRINUSE: address already in use 127.0.0.1:${taken.port}`,
    ]);
    const raw = (await s.status()).instances[0]?.lastStderr ?? [];
    assert.match(raw.at(-1) ?? '', /^Node\.js v\d+/, 'the raw tail ends in the banner');
    assert.equal(raw.length, 10, 'the raw tail keeps its last 10 lines');
  });

  void it(
    'shows the traceback and the exception of a python3 crash',
    { skip: NO_PYTHON },
    async () => {
      s = sandbox();
      const script = [
        'import sys',
        'def load(path):',
        '    raise FileNotFoundError(f"config {path} is missing")',
        'print("starting", file=sys.stderr)',
        'load("/etc/app.toml")',
      ].join('\n');
      s.config(`
services:
  job:
    command: [python3, -c, ${JSON.stringify(script)}]
    restart: never
`);
      assert.equal((await s.warden(['up'])).code, 0);
      await waitFor('job exited', async () => (await s.status()).instances[0]?.state === 'exited');
      const table = await s.warden(['status']);
      assert.deepEqual(notesOf(table.stdout, 'job'), [
        'stderr: Traceback (most recent call last):',
        'stderr: FileNotFoundError: config /etc/app.toml is missing',
      ]);
    },
  );

  void it(
    'shows the sd_notify STATUS= text under a running instance',
    { skip: NO_SYSTEMD_NOTIFY },
    async () => {
      s = sandbox();
      s.config(`
services:
  svc:
    command: systemd-notify --ready --status="serving 3 clients" && exec sleep 300
    ready: { notify: true, timeout: 20s }
`);
      const up = await s.warden(['up', '--wait']);
      assert.equal(up.code, 0, up.stderr);
      const table = await s.warden(['status']);
      assert.deepEqual(notesOf(table.stdout, 'svc'), ['status: serving 3 clients']);
    },
  );

  void it('shows PIDS, CPU and MEM in process-group containment', async () => {
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'process-group';
    s.config(`
services:
  pair:
    command: sleep 300 & exec sleep 301
    min_uptime: 200ms
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const report = await waitFor('both processes of pair counted', async () => {
      const r = await s.status();
      return r.instances[0]?.tree?.pids === 2 ? r : undefined;
    });
    assert.equal(report.daemon.containment, 'process-group');
    const tree = report.instances[0]?.tree;
    assert.ok(tree !== null && tree !== undefined && tree.memoryBytes > 0, 'memory of the tree');
    const table = await s.warden(['status']);
    const [header, row] = table.stdout.split('\n');
    assert.match(header ?? '', /RESTARTS\s+PIDS\s+CPU\s+MEM\s+LAST EXIT/);
    assert.match(
      row ?? '',
      /^pair\s+running\s+\d+\s+\S+\s+0\s+2\s+\d+(\.\d)?%\s+\d+(\.\d)?[KMG]\s+-$/,
    );
  });
});
