// The REST API of the daemon's HTTP server (docs/http-api.md) against a real daemon: the
// methods of the control socket over HTTP, writes only with the token, errors as JSON with the
// protocol's codes, /healthz and /readyz, and the OpenAPI document checked by a validator.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { InstanceStatus, StatusReport } from '../../src/core/status.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort, httpRequest, writeToken } from '../helpers/http.js';

const CONFIG = (port: number) => `
http:
  listen: 127.0.0.1:${port}
  token_file: token
services:
  web:
    command: [sleep, "600"]
    min_uptime: 100ms
  pair:
    command: [sleep, "600"]
    instances: 2
    min_uptime: 100ms
`;

interface Api {
  port: number;
  token: string;
  /** fetch() on 127.0.0.1:port, with the token unless `auth` is false. */
  call(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
}

async function started(sb: Sandbox): Promise<Api> {
  const port = await freePort();
  sb.config(CONFIG(port));
  const { token } = writeToken(sb.dir);
  const up = await sb.warden(['up', '--wait']);
  assert.equal(up.code, 0, up.stderr);
  return {
    port,
    token,
    call: (path, { auth = true, headers, ...init } = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        ...init,
        headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), ...headers },
      }),
  };
}

const post = (body: unknown, type = 'application/json'): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': type },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

// What does not move between two calls: figures (CPU, memory) do.
const stable = (s: InstanceStatus) => [s.name, s.service, s.state, s.pid, s.restarts, s.since];

const pidOf = async (sb: Sandbox, name: string) =>
  (await sb.status()).instances.find((i) => i.name === name)?.pid;

async function errorOf(r: Response): Promise<{ code: string; message: string }> {
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  return ((await r.json()) as { error: { code: string; message: string } }).error;
}

void describe('http api', () => {
  let sb: Sandbox | undefined;
  afterEach(async () => {
    await sb?.cleanup();
    sb = undefined;
  });

  void it('answers the control methods as the socket does, and refuses bad writes changing nothing', async () => {
    sb = sandbox();
    const api = await started(sb);

    const cli = await sb.status();
    const r = await api.call('/api/v1/status');
    assert.equal(r.status, 200);
    const http = (await r.json()) as StatusReport;
    assert.deepEqual(http.daemon, cli.daemon);
    assert.deepEqual(http.instances.map(stable), cli.instances.map(stable));
    assert.deepEqual(Object.keys(http.instances[0] ?? {}), Object.keys(cli.instances[0] ?? {}));

    const one = (await (await api.call('/api/v1/status?targets=pair:1')).json()) as StatusReport;
    assert.deepEqual(
      one.instances.map((i) => i.name),
      ['pair:1'],
    );
    const two = (await (
      await api.call('/api/v1/status?targets=web&targets=pair:0')
    ).json()) as StatusReport;
    assert.deepEqual(
      two.instances.map((i) => i.name),
      ['web', 'pair:0'],
    );
    const unknown = await api.call('/api/v1/status?targets=nope');
    assert.equal(unknown.status, 404);
    assert.equal((await errorOf(unknown)).code, 'UNKNOWN_SERVICE');

    const hello = (await (await api.call('/api/v1/hello')).json()) as { pid: number };
    assert.equal(hello.pid, cli.daemon.pid);
    const ps = (await (await api.call('/api/v1/ps?targets=web')).json()) as {
      processes: { pid: number }[];
    }[];
    assert.equal(ps[0]?.processes[0]?.pid, await pidOf(sb, 'web'));

    const before = await pidOf(sb, 'web');
    const refusals: [RequestInit & { auth?: boolean }, number, string][] = [
      [{ ...post({ targets: ['web'] }), auth: false }, 401, 'UNAUTHORIZED'],
      [post('{"targets": ["web"'), 400, 'BAD_REQUEST'],
      [post('["web"]'), 400, 'BAD_REQUEST'],
      [post({ target: ['web'] }), 400, 'INVALID_PARAMS'],
      [post({ targets: 'web' }), 400, 'INVALID_PARAMS'],
      [post('targets=web', 'application/x-www-form-urlencoded'), 415, 'BAD_REQUEST'],
      [post({ targets: ['web'], pad: 'x'.repeat(70_000) }), 413, 'BAD_REQUEST'],
      [post({ targets: ['nope'] }), 404, 'UNKNOWN_SERVICE'],
    ];
    for (const [init, status, code] of refusals) {
      const refused = await api.call('/api/v1/restart', init);
      assert.equal(refused.status, status, `${code}: ${JSON.stringify(init.body).slice(0, 40)}`);
      assert.equal((await errorOf(refused)).code, code);
    }
    const signal = await api.call('/api/v1/signal', post({ targets: ['web'], signal: 'NOPE' }));
    assert.equal(signal.status, 400);
    assert.match((await errorOf(signal)).message, /unknown signal "NOPE"/);
    const wrongHost = await httpRequest(api.port, '/api/v1/restart', {
      method: 'POST',
      headers: { host: `rebind.example.com:${api.port}`, authorization: `Bearer ${api.token}` },
      body: '{"targets":["web"]}',
    });
    assert.equal(wrongHost.status, 421);
    assert.equal((await api.call('/api/v1/up', post({}))).status, 404);
    assert.equal((await api.call('/api/v1/restart')).status, 405);
    assert.equal(await pidOf(sb, 'web'), before, 'no refused write touched web');

    const restarted = await api.call('/api/v1/restart', post({ targets: ['web'] }));
    assert.equal(restarted.status, 200);
    assert.deepEqual(await restarted.json(), { instances: ['web'] });
    const waited = await api.call('/api/v1/wait', post({ targets: ['web'], timeoutMs: 20_000 }));
    assert.equal(waited.status, 200);
    const after = await pidOf(sb, 'web');
    assert.ok(after !== undefined && after !== null && after !== before, `${before} -> ${after}`);
  });

  void it('says ready only while every instance runs (/readyz), and alive (/healthz)', async () => {
    sb = sandbox();
    const api = await started(sb);
    const health = await api.call('/healthz');
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    assert.equal((await api.call('/healthz', { auth: false })).status, 401);
    assert.equal((await api.call('/readyz')).status, 200);

    const stopped = await api.call('/api/v1/stop', post({ targets: ['pair:1'] }));
    assert.equal(stopped.status, 200);
    const notReady = await api.call('/readyz');
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), {
      ready: false,
      notReady: [{ instance: 'pair:1', state: 'stopped', why: 'stopped by user' }],
    });

    assert.equal((await api.call('/api/v1/start', post({ targets: ['pair:1'] }))).status, 200);
    await waitFor('ready again', async () => (await api.call('/readyz')).status === 200);
  });

  void it('publishes an OpenAPI document that validates and lists every served method', async () => {
    sb = sandbox();
    const api = await started(sb);
    const r = await api.call('/api/v1/openapi.json');
    assert.equal(r.status, 200);
    const doc = (await r.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
    };
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    for (const path of ['status', 'hello', 'ps'])
      assert.ok(doc.paths[`/api/v1/${path}`]?.get, path);
    for (const path of ['start', 'stop', 'restart', 'signal', 'reload', 'wait', 'logs-reopen'])
      assert.ok(doc.paths[`/api/v1/${path}`]?.post, path);
    for (const path of ['up', 'prove', 'down', 'subscribe'])
      assert.equal(doc.paths[`/api/v1/${path}`], undefined, path);
    for (const path of ['/api/v1/events', '/api/v1/logs'])
      assert.ok(doc.paths[path]?.get?.responses['200']?.content, path);
    assert.ok(
      'text/event-stream' in (doc.paths['/api/v1/events']?.get?.responses['200']?.content ?? {}),
    );
  });
});
