// The HTTP server's checks (src/http/auth.ts, docs/config/http.md "Security") and the parsing of
// `http.listen` (src/config/http.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopback, parseListen } from '../../src/config/listen-address.js';
import type { HttpSpec } from '../../src/config/types.js';
import {
  digestOf,
  hostNameOf,
  isAuthorized,
  isCrossOrigin,
  isHostAllowed,
  isWrite,
} from '../../src/http/auth.js';

const spec = (host: string, hosts: string[] = []): HttpSpec => ({
  host,
  port: 9105,
  tokenFile: '/etc/warden/token',
  read: 'token',
  hosts,
});

void describe('parseListen', () => {
  void it('reads HOST:PORT, [V6]:PORT, a bare address or a port', () => {
    assert.deepEqual(parseListen('127.0.0.1:9200'), { host: '127.0.0.1', port: 9200 });
    assert.deepEqual(parseListen('[::1]:9200'), { host: '::1', port: 9200 });
    assert.deepEqual(parseListen('::1'), { host: '::1', port: 9105 });
    assert.deepEqual(parseListen('0.0.0.0'), { host: '0.0.0.0', port: 9105 });
    assert.deepEqual(parseListen(9300), { host: '127.0.0.1', port: 9300 });
  });

  void it('refuses names and bad ports, saying what to write', () => {
    const name = parseListen('localhost:9105');
    assert.ok(typeof name === 'string');
    assert.match(name, /is not an address to listen on; use HOST:PORT/);
    assert.equal(parseListen('127.0.0.1:70000'), 'port 70000 is not between 1 and 65535');
    assert.equal(parseListen('[nope]:1'), '"[nope]:1" has no IPv6 address in brackets');
  });

  void it('tells loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      assert.ok(isLoopback(a), a);
    for (const a of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1']) assert.ok(!isLoopback(a), a);
  });
});

void describe('isHostAllowed', () => {
  void it('accepts the listen address, localhost on loopback and the listed names', () => {
    assert.equal(hostNameOf('[::1]:9105'), '::1');
    assert.equal(hostNameOf('Warden.Example.com.:80'), 'warden.example.com');
    assert.ok(isHostAllowed('127.0.0.1:9105', spec('127.0.0.1')));
    assert.ok(isHostAllowed('localhost:9105', spec('127.0.0.1')));
    assert.ok(isHostAllowed('[::1]:9105', spec('::1')));
    assert.ok(isHostAllowed('warden.example.com', spec('10.0.0.5', ['warden.example.com'])));
    assert.ok(isHostAllowed('10.1.1.1:9105', spec('0.0.0.0')), 'any address on a wildcard listen');
  });

  void it('refuses other names (DNS rebinding), other addresses and no Host', () => {
    assert.ok(!isHostAllowed('attacker.example:9105', spec('127.0.0.1')));
    assert.ok(!isHostAllowed('localhost:9105', spec('10.0.0.5')));
    assert.ok(!isHostAllowed('10.0.0.6:9105', spec('10.0.0.5')));
    assert.ok(!isHostAllowed(undefined, spec('127.0.0.1')));
    assert.ok(!isHostAllowed('a b', spec('127.0.0.1')));
  });
});

void describe('isCrossOrigin and isWrite', () => {
  void it('tells writes from reads', () => {
    assert.ok(!isWrite('GET') && !isWrite('HEAD') && !isWrite('OPTIONS'));
    assert.ok(isWrite('POST') && isWrite('DELETE') && isWrite('PUT') && isWrite(undefined));
  });

  void it('judges by Sec-Fetch-Site, else Origin against Host', () => {
    const host = '127.0.0.1:9105';
    assert.ok(!isCrossOrigin({ host }), 'curl and Prometheus send neither');
    assert.ok(!isCrossOrigin({ host, origin: 'http://127.0.0.1:9105' }));
    assert.ok(!isCrossOrigin({ host, 'sec-fetch-site': 'same-origin' }));
    assert.ok(isCrossOrigin({ host, origin: 'http://evil.example' }));
    assert.ok(isCrossOrigin({ host, origin: 'null' }));
    assert.ok(isCrossOrigin({ host, 'sec-fetch-site': 'cross-site' }));
    assert.ok(
      isCrossOrigin({ host, 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:9105' }),
    );
  });
});

void describe('isAuthorized', () => {
  const digest = digestOf('0123456789abcdef0123');
  void it('accepts exactly Bearer and the token', () => {
    assert.ok(isAuthorized('Bearer 0123456789abcdef0123', digest));
    assert.ok(isAuthorized('bearer 0123456789abcdef0123', digest));
  });

  void it('refuses a wrong, longer, shorter or missing token, and no token configured', () => {
    assert.ok(!isAuthorized('Bearer 0123456789abcdef0124', digest));
    assert.ok(!isAuthorized('Bearer 0123456789abcdef01234', digest));
    assert.ok(!isAuthorized('Bearer 0123', digest));
    assert.ok(!isAuthorized('0123456789abcdef0123', digest));
    assert.ok(!isAuthorized('Basic MDEyMzQ1Njc4OWFiY2RlZjAxMjM=', digest));
    assert.ok(!isAuthorized(undefined, digest));
    assert.ok(!isAuthorized('Bearer 0123456789abcdef0123', null));
  });
});
