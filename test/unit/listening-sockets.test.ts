// Addresses as bytes, which addresses are local, and the listening sockets found in
// /proc/net/tcp{,6} for real listeners of this process (and who holds them).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import {
  ipBytes,
  isLocalAddress,
  listeningInodes,
} from '../../src/effects/probes/listening-sockets.js';
import { ownerCheck } from '../../src/effects/probes/owned-listener.js';
import { findSocketHolder, holdsSocket } from '../../src/effects/probes/socket-holders.js';

const hex = (text: string): string | undefined => ipBytes(text)?.toString('hex');

async function listen(t: TestContext, host: string): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.after(() => server.close());
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

void describe('ipBytes', () => {
  void it('takes IPv4 as IPv4-mapped IPv6, and IPv6 in every spelling', () => {
    assert.equal(hex('127.0.0.1'), '00000000000000000000ffff7f000001');
    assert.equal(hex('::ffff:127.0.0.1'), '00000000000000000000ffff7f000001');
    assert.equal(hex('::1'), '00000000000000000000000000000001');
    assert.equal(hex('::'), '00000000000000000000000000000000');
    assert.equal(hex('2001:db8::1:2'), '20010db8000000000000000000010002');
    assert.equal(hex('fe80::1%lo'), 'fe800000000000000000000000000001');
    assert.equal(hex('localhost'), undefined);
    assert.equal(hex('1.2.3'), undefined);
  });
});

void describe('isLocalAddress', () => {
  void it('loopback, unspecified and own interface addresses are local', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0.0.0.0', '::']) {
      assert.equal(isLocalAddress(a), true, a);
    }
    for (const a of ['192.0.2.1', '2001:db8::1', 'not-an-address']) {
      assert.equal(isLocalAddress(a), false, a);
    }
  });
});

void describe('listeningInodes', () => {
  void it('finds a listener bound to the address, held by this process', async (t) => {
    const port = await listen(t, '127.0.0.1');
    const inodes = listeningInodes('127.0.0.1', port);
    assert.equal(inodes.length, 1);
    assert.ok(holdsSocket(process.pid, new Set(inodes)));
    assert.deepEqual(findSocketHolder(new Set(inodes)), { pid: process.pid, comm: 'node' });
    assert.deepEqual(listeningInodes('127.0.0.2', port), [], 'another loopback address');
    assert.deepEqual(listeningInodes('::1', port), [], 'another family');
  });

  void it('a wildcard listener takes both families (dual stack)', async (t) => {
    const port = await listen(t, '::').catch(() => undefined);
    if (port === undefined) return t.skip('no IPv6 here');
    const v4 = listeningInodes('127.0.0.1', port);
    assert.equal(v4.length, 1);
    assert.deepEqual(listeningInodes('::1', port), v4);
    assert.deepEqual(listeningInodes('::ffff:127.0.0.1', port), v4);
  });

  void it('finds nothing where nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(typeof address === 'object' && address !== null);
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(listeningInodes('127.0.0.1', address.port), []);
    assert.deepEqual(findSocketHolder(new Set([0])), 'hidden');
  });
});

void describe('ownerCheck', () => {
  void it('passes for a listener of the members, names any other holder', async (t) => {
    const port = await listen(t, '127.0.0.1');
    assert.equal(ownerCheck(() => [process.pid])('127.0.0.1', port), true);
    let asked = 0;
    const others = ownerCheck(function* () {
      asked++;
      yield 1;
    });
    const held = `port ${port} is held by pid ${process.pid} (node), not by this instance`;
    assert.equal(others('127.0.0.1', port), held);
    assert.equal(others('127.0.0.1', port), held, 'the same holder, from the cache');
    assert.equal(asked, 2, 'the members are asked at every check');
  });

  void it('a connection no listener took never counts; another host is not checked', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(typeof address === 'object' && address !== null);
    await new Promise((resolve) => server.close(resolve));
    const check = ownerCheck(() => [process.pid]);
    assert.equal(
      check('127.0.0.1', address.port),
      `port ${address.port} answered, but no socket listens on it here`,
    );
    assert.equal(check('192.0.2.1', address.port), true);
  });
});
