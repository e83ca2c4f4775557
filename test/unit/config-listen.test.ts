// The `listen` key: the address forms, their canonical text, and exact error messages (one
// address per service, readiness on a shared socket, ready.fd among the sockets' fds).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatIssue } from '../../src/config/format.js';
import { parseConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-listen-'));
const file = join(dir, 'warden.yaml');

async function issues(yaml: string): Promise<string[]> {
  const r = await parseConfig(yaml, file);
  return r.ok ? [] : r.issues.map((i) => formatIssue(i).replace(`${file}:`, ''));
}

void describe('listen', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('reads every address form, with names, backlog and a unix socket file', async () => {
    const r = await parseConfig(
      [
        'services:',
        '  a:',
        '    command: x',
        '    listen:',
        '      - 3000',
        '      - "127.0.0.1:8080"',
        '      - "[::1]:8443"',
        '      - { name: admin, address: "*:9000", backlog: 64 }',
        '      - { address: "unix:run/a.sock", mode: "0660" }',
        '  b: { command: x }',
      ].join('\n'),
      file,
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    const [a, b] = r.config.services;
    assert.deepEqual(
      a?.listen.map((l) => [l.name, l.address, l.backlog]),
      [
        [null, '3000', 511],
        [null, '127.0.0.1:8080', 511],
        [null, '[::1]:8443', 511],
        ['admin', '0.0.0.0:9000', 64],
        [null, `unix:run/a.sock`, 511],
      ],
    );
    assert.deepEqual(a?.listen[0]?.bind, {
      kind: 'tcp',
      host: '::',
      port: 3000,
      family: 6,
      dualStack: true,
    });
    assert.deepEqual(a?.listen[4]?.bind, {
      kind: 'unix',
      path: join(dir, 'run/a.sock'),
      mode: 0o660,
      uid: null,
      gid: null,
    });
    assert.deepEqual(b?.listen, []);
  });

  void it('says what is wrong with an address or a key', async () => {
    assert.deepEqual(
      await issues(
        [
          'services:',
          '  a:',
          '    command: x',
          '    listen:',
          '      - "localhost:80"',
          '      - 70000',
          '      - { address: 81, mode: "0600" }',
          '      - { address: "unix:/a.sock", mode: 0660 }',
          '      - { adress: 82 }',
        ].join('\n'),
      ),
      [
        '5:9: services.a.listen[0].address: "localhost" is not an IP address; warden binds addresses, not host names (use 127.0.0.1 or [::1])',
        '6:9: services.a.listen[1].address: 70000 is not an address; use a port (3000), 127.0.0.1:8080, [::1]:8443 or unix:/path',
        `7:30: services.a.listen[2].mode: "mode" is for unix sockets (the socket file's permissions); remove it`,
        '8:42: services.a.listen[3].mode: write the mode as a quoted string of octal digits, e.g. "0660" (YAML reads 0660 as a decimal number)',
        '9:9: services.a.listen[4].address: is missing: give the address, e.g. address: "127.0.0.1:8080"',
        '9:11: services.a.listen[4].adress: "adress" is not a known key; did you mean "address"?',
      ],
    );
  });

  void it('refuses one address in two places, and a wildcard that covers another', async () => {
    assert.deepEqual(
      await issues(
        [
          'services:',
          '  a: { command: x, listen: ["127.0.0.1:8080", "127.0.0.1:0"] }',
          '  b: { command: x, listen: ["0.0.0.0:8080", "127.0.0.1:0"] }',
          '  c: { command: x, listen: ["[::1]:9090"] }',
          '  d: { command: x, listen: [9090] }',
        ].join('\n'),
      ),
      [
        '3:29: services.b.listen[0]: 0.0.0.0:8080 is already claimed by service "a" (127.0.0.1:8080); one address belongs to one service, whose instances all share it',
        '5:29: services.d.listen[0]: 9090 is already claimed by service "c" ([::1]:9090); one address belongs to one service, whose instances all share it',
      ],
    );
  });

  void it('refuses a tcp or http check on the shared socket, and ready.fd among its fds', async () => {
    const found = await issues(
      [
        'services:',
        '  a: { command: x, listen: [8080], ready: { http: "http://127.0.0.1:8080/health" } }',
        '  b: { command: x, listen: ["127.0.0.1:8081", 8082], ready: { fd: 4 } }',
        '  c: { command: x, listen: ["127.0.0.1:8083"], ready: { tcp: 9999 } }',
      ].join('\n'),
    );
    assert.deepEqual(found, [
      "2:51: services.a.ready.http: 127.0.0.1:8080 is this service's listen socket 8080, which every instance (and the kernel's backlog) answers: it cannot tell whether this instance is ready. Use ready: {notify: true} (listenFds() users call notifyReady() once they serve), ready.fd, or an exec/http check on an address of the instance's own",
      '3:67: services.b.ready.fd: fd 4 is taken by a listen socket (they are fds 3..4); use 5 or above',
    ]);
  });
});
