// The daemon's HTTP server (docs/config/http.md) through the built CLI: GET /metrics behind the
// token, Host and origin checks, `promtool check metrics` on the output, and reloads that move
// the server or fail on a port in use without touching the services.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort, httpRequest, writeToken } from '../helpers/http.js';

const hasPromtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function configOf(port: number, extra = ''): string {
  return `
http:
  listen: 127.0.0.1:${port}
  token_file: token
${extra}
services:
  web:
    command: [sleep, "600"]
    min_uptime: 100ms
  pair:
    command: [sh, -c, "echo hello; echo oops >&2; exec sleep 600"]
    instances: 2
    min_uptime: 100ms
`;
}

const pidsOf = async (sb: Sandbox) =>
  (await sb.status()).instances.map((i) => `${i.name}=${i.pid ?? ''}`).join(' ');

void describe('http server', () => {
  let sb: Sandbox | undefined;
  afterEach(async () => {
    await sb?.cleanup();
    sb = undefined;
  });

  void it('serves /metrics only with the token, to the right Host, and refuses cross-origin writes', async () => {
    sb = sandbox();
    const port = await freePort();
    const path = sb.config(configOf(port));
    const { token } = writeToken(sb.dir);
    assert.ok(path);
    const up = await sb.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const bearer = { authorization: `Bearer ${token}` };

    const ok = await httpRequest(port, '/metrics', { headers: bearer });
    assert.equal(ok.status, 200, ok.body);
    assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(
      ok.body,
      /^warden_instance_state\{service="web",instance="web",state="running"\} 1$/m,
    );
    assert.match(
      ok.body,
      /^warden_instance_state\{service="web",instance="web",state="backoff"\} 0$/m,
    );
    assert.match(
      ok.body,
      /^warden_instance_restarts_total\{service="pair",instance="pair:1"\} 0$/m,
    );
    assert.match(ok.body, /^warden_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    assert.match(ok.body, /^warden_instance_processes\{service="web",instance="web"\} 1$/m);
    assert.match(
      ok.body,
      /^warden_instance_memory_bytes\{service="web",instance="web"\} [1-9]\d*$/m,
    );
    assert.match(
      ok.body,
      /^warden_instance_start_time_seconds\{service="web",instance="web"\} 1\d{9}/m,
    );
    assert.match(
      ok.body,
      /^warden_instance_cpu_seconds_total\{service="web",instance="web"\} \d+(\.\d+)?(e-\d+)?$/m,
    );
    assert.match(ok.body, /^warden_ready_seconds_count\{service="pair"\} 2$/m);
    assert.match(ok.body, /^process_resident_memory_bytes \d+/m);
    assert.doesNotMatch(ok.body, /pid="/);
    // Lines reach the counters once the log has them.
    await waitFor('log line counts', async () => {
      const r = await httpRequest(port, '/metrics', { headers: bearer });
      return (
        /^warden_log_lines_total\{service="pair",stream="err"\} 2$/m.test(r.body) &&
        /^warden_log_lines_total\{service="pair",stream="out"\} 2$/m.test(r.body)
      );
    });

    const before = await pidsOf(sb);
    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-wrong-token' },
      { authorization: token },
    ];
    for (const headers of refused) {
      const r = await httpRequest(port, '/metrics', { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
      assert.doesNotMatch(r.body, /warden_/);
    }
    const write = await httpRequest(port, '/api/v1/restart', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"targets":["web"]}',
    });
    assert.equal(write.status, 401);
    const wrongHost = await httpRequest(port, '/metrics', {
      headers: { ...bearer, host: `rebind.example.com:${port}` },
    });
    assert.equal(wrongHost.status, 421);
    const crossOrigin = await httpRequest(port, '/api/v1/restart', {
      method: 'POST',
      headers: { ...bearer, origin: 'http://evil.example.com', 'content-type': 'application/json' },
      body: '{"targets":["web"]}',
    });
    assert.equal(crossOrigin.status, 403);
    const crossSite = await httpRequest(port, '/api/v1/restart', {
      method: 'POST',
      headers: { ...bearer, 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(crossSite.status, 403);
    assert.equal(await pidsOf(sb), before, 'refused requests changed nothing');

    if (hasPromtool) {
      const checked = execFileSync('promtool', ['check', 'metrics'], {
        input: ok.body,
        encoding: 'utf8',
      });
      assert.equal(checked.trim(), '', `promtool check metrics: ${checked}`);
    }
  });

  void it('is moved by a reload, and a port in use fails the reload with nothing changed', async () => {
    sb = sandbox();
    const first = await freePort();
    sb.config(configOf(first));
    const { token } = writeToken(sb.dir);
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await sb.warden(['up', '--wait'])).code, 0);
    assert.equal((await httpRequest(first, '/metrics', { headers: bearer })).status, 200);
    const pids = await pidsOf(sb);

    // A port held by another process: the reload fails, the server and services stay.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const busy = (holder.address() as { port: number }).port;
      sb.config(configOf(busy).replace('sleep, "600"]', 'sleep, "601"]'));
      const failed = await sb.warden(['reload']);
      assert.equal(failed.code, 2, failed.stdout);
      assert.match(
        failed.stderr,
        new RegExp(`http\\.listen: cannot listen on 127\\.0\\.0\\.1:${busy}: EADDRINUSE`),
      );
      assert.equal(await pidsOf(sb), pids, 'services untouched');
      assert.equal((await httpRequest(first, '/metrics', { headers: bearer })).status, 200);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }

    const second = await freePort();
    sb.config(configOf(second));
    const moved = await sb.warden(['reload']);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal((await httpRequest(second, '/metrics', { headers: bearer })).status, 200);
    await assert.rejects(httpRequest(first, '/metrics', { headers: bearer }), /ECONNREFUSED/);
    assert.equal(await pidsOf(sb), pids);

    // Without `http`, nothing listens.
    sb.config(configOf(second).replace(/^http:\n( {2}.*\n)+/m, ''));
    assert.equal((await sb.warden(['reload'])).code, 0);
    await assert.rejects(httpRequest(second, '/metrics', { headers: bearer }), /ECONNREFUSED/);
  });

  void it('refuses a non-loopback address without a token, and read: open off loopback', async () => {
    sb = sandbox();
    mkdirSync(sb.dir, { recursive: true });
    sb.config(
      `http:\n  listen: 0.0.0.0:9105\n  read: open\nservices:\n  web: {command: [sleep, "600"]}\n`,
    );
    const r = await sb.warden(['up']);
    assert.equal(r.code, 2, r.stdout);
    assert.match(
      r.stderr,
      /http\.listen: 0\.0\.0\.0 is not a loopback address, so the server needs a token/,
    );
    assert.match(r.stderr, /http\.read: "open" is only for a loopback listen address/);
  });

  void it('serves reads without the token with read: open on loopback', async () => {
    sb = sandbox();
    const port = await freePort();
    sb.config(
      `http:\n  listen: 127.0.0.1:${port}\n  read: open\nservices:\n  web: {command: [sleep, "600"], min_uptime: 100ms}\n`,
    );
    assert.equal((await sb.warden(['up', '--wait'])).code, 0);
    const r = await httpRequest(port, '/metrics', { headers: { host: `localhost:${port}` } });
    assert.equal(r.status, 200);
    // Writes still need a token, which this config has none of.
    const w = await httpRequest(port, '/api/v1/restart', { method: 'POST' });
    assert.equal(w.status, 401);
  });
});
