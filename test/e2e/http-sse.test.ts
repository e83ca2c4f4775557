// The HTTP server's event streams (docs/dashboard.md "Event streams") read by a plain fetch
// client, no browser: GET /api/v1/events (state changes as they happen, figures every second)
// and GET /api/v1/logs (the last lines, then new ones), behind the token, bounded for a client
// that does not read, and ended when the daemon stops.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort, writeToken } from '../helpers/http.js';
import { openSse, type SseEvent, type SseStream } from '../helpers/sse.js';

interface Figures {
  time: number;
  instances: {
    instance: string;
    state: string;
    pid: number | null;
    restarts: number;
    tree: { memoryBytes: number; cpuPercent: number | null } | null;
  }[];
}
interface StateEvent {
  instance: string;
  from: string;
  to: string;
  pid: number | null;
}
interface LogLine {
  service: string;
  instance: string;
  stream: string;
  line: string;
  time: number;
}

const parse = <T>(e: SseEvent): T => JSON.parse(e.data) as T;

function configOf(port: number, services: string): string {
  return `
http:
  listen: 127.0.0.1:${port}
  token_file: token
services:
${services}`;
}

const WEB = `
  web:
    command: [sleep, "600"]
    min_uptime: 100ms
    backoff: { initial: 50ms }
`;

void describe('http event streams', () => {
  let sb: Sandbox | undefined;
  const streams: SseStream[] = [];
  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await sb?.cleanup();
    sb = undefined;
  });

  void it('streams state changes as they happen and figures every second, with the token only', async () => {
    sb = sandbox();
    const port = await freePort();
    sb.config(configOf(port, WEB));
    const { token } = writeToken(sb.dir);
    assert.equal((await sb.warden(['up', '--wait'])).code, 0);

    const refused = await openSse(port, '/api/v1/events');
    streams.push(refused);
    assert.equal(refused.status, 401);
    const wrong = await openSse(port, '/api/v1/events', {
      authorization: 'Bearer nope-nope-nope-1',
    });
    streams.push(wrong);
    assert.equal(wrong.status, 401);

    const sse = await openSse(port, '/api/v1/events', { authorization: `Bearer ${token}` });
    streams.push(sse);
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    const first = parse<Figures>(await sse.next((e) => e.event === 'figures'));
    const web = first.instances.find((i) => i.instance === 'web');
    assert.ok(web, JSON.stringify(first));
    assert.equal(web.state, 'running');
    assert.equal(web.restarts, 0);
    assert.ok(web.pid !== null && web.pid > 0);
    assert.ok(web.tree !== null && web.tree.memoryBytes > 0, JSON.stringify(web));

    // A kill reaches the client as a state change, measured from the kill to its arrival.
    const from = sse.events.length;
    const killedAt = performance.now();
    process.kill(web.pid, 'SIGKILL');
    const change = await sse.next((e) => e.event === 'state', from);
    const latencyMs = change.at - killedAt;
    console.log(`kill -> state event on /api/v1/events: ${latencyMs.toFixed(1)} ms`);
    const event = parse<StateEvent>(change);
    assert.equal(event.instance, 'web');
    assert.equal(event.from, 'running');
    // A generous bound: the machine is shared; the figure above is what the issue asks about.
    assert.ok(latencyMs < 5000, `state event after ${latencyMs} ms`);

    // The figures then show the restart: one more, a new pid.
    const after = await sse.next((e) => {
      if (e.event !== 'figures') return false;
      const w = parse<Figures>(e).instances.find((i) => i.instance === 'web');
      return w?.state === 'running' && w.restarts === 1;
    }, from);
    const restarted = parse<Figures>(after).instances.find((i) => i.instance === 'web');
    assert.notEqual(restarted?.pid, web.pid);

    // The daemon's stop ends the stream.
    assert.equal((await sb.warden(['down'])).code, 0);
    await sse.ended;
  });

  void it('streams the last lines of a service, then new ones; all services merged', async () => {
    sb = sandbox();
    const port = await freePort();
    sb.config(
      configOf(
        port,
        `
  talk:
    command: [sh, -c, 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done']
  grumble:
    command: [sh, -c, 'echo "something broke" >&2; exec sleep 600']
`,
      ),
    );
    const { token } = writeToken(sb.dir);
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await sb.warden(['up', '--wait'])).code, 0);
    const logFile = `${sb.home}/logs/talk.log`;
    await waitFor('5 ticks in the log', () => /tick 5\n/.test(readFileSync(logFile, 'utf8')));

    assert.equal((await openSse(port, '/api/v1/logs?service=talk')).status, 401);

    // Without follow: the last lines, then the end.
    const once = await openSse(port, '/api/v1/logs?service=talk&lines=3', bearer);
    streams.push(once);
    assert.equal(once.status, 200);
    await once.ended;
    const history = once.events.filter((e) => e.event === 'line').map((e) => parse<LogLine>(e));
    assert.equal(history.length, 3, JSON.stringify(history));
    for (const l of history) {
      assert.equal(l.service, 'talk');
      assert.equal(l.instance, 'talk');
      assert.equal(l.stream, 'out');
      assert.match(l.line, /^tick \d+$/);
      assert.ok(Math.abs(l.time - Date.now()) < 60_000, String(l.time));
    }

    // With follow: the last lines, then lines written after.
    const live = await openSse(port, '/api/v1/logs?service=talk&lines=2&follow=1', bearer);
    streams.push(live);
    const tickOf = (e: SseEvent) => Number(/tick (\d+)/.exec(parse<LogLine>(e).line)?.[1]);
    const firstTick = tickOf(await live.next((e) => e.event === 'line'));
    await live.next((e) => e.event === 'line' && tickOf(e) >= firstTick + 5);
    const ticks = live.events.filter((e) => e.event === 'line').map(tickOf);
    assert.deepEqual(
      ticks,
      ticks.map((_, i) => firstTick + i),
      'no line missed or repeated',
    );

    // Without service: every service's lines, stderr included.
    const all = await openSse(port, '/api/v1/logs?follow=1&lines=50', bearer);
    streams.push(all);
    const err = parse<LogLine>(
      await all.next((e) => e.event === 'line' && parse<LogLine>(e).service === 'grumble'),
    );
    assert.deepEqual(
      { instance: err.instance, stream: err.stream, line: err.line },
      { instance: 'grumble', stream: 'err', line: 'something broke' },
    );
    await all.next((e) => e.event === 'line' && parse<LogLine>(e).service === 'talk');

    const bad = await openSse(port, '/api/v1/logs?service=nosuch', bearer);
    streams.push(bad);
    assert.equal(bad.status, 404);
  });

  void it('drops lines for a client that does not read, and says how many', async () => {
    sb = sandbox();
    const port = await freePort();
    sb.config(
      configOf(
        port,
        `
  flood:
    command: [sh, -c, 'sleep 1; yes "$(printf %0400d 0)" | head -n 60000; while :; do echo flood-end; sleep 0.2; done']
    logs: { max_size: 100MB }
`,
      ),
    );
    const { token } = writeToken(sb.dir);
    assert.equal((await sb.warden(['up', '--wait'])).code, 0);

    // A client that reads nothing while 24 MB of lines are written.
    const path = '/api/v1/logs?service=flood&follow=1&lines=0';
    const get = () =>
      new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port,
          path,
          headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}` },
        });
        req.on('response', resolve);
        req.on('error', reject);
        req.end();
      });
    let body = '';
    const res = await get();
    assert.equal(res.statusCode, 200);
    res.pause();
    // A client that reads all: once it has a line written after the flood, the daemon has read
    // the whole flood for the other one too (each stream follows the file at the pace of the
    // daemon, not of its client), so the paused one is far behind: the file alone is not enough,
    // as the daemon may still be reading it on a loaded machine. This client too may fall behind
    // and lose lines, but it catches up, and the service says `flood-end` again every 0.2 s.
    const reader = await get();
    let tail = '';
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      reader.setEncoding('utf8');
      reader.on('data', (chunk: string) => {
        const seen = tail + chunk;
        if (seen.includes('flood-end')) resolve();
        tail = seen.slice(-16);
      });
      reader.on('end', () => reject(new Error('the reading stream ended before the flood did')));
      setTimeout(() => reject(new Error('no flood-end within 60 s')), 60_000).unref();
    });
    reader.destroy();
    console.log(`# the reading stream reached the flood's end in ${Date.now() - started} ms`);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.resume();
    const dropped = await waitFor('a dropped event', () => {
      const m = /event: dropped\ndata: (\{[^\n]*\})/.exec(body);
      return m === null ? undefined : (JSON.parse(m[1] ?? '{}') as { lines: number });
    });
    assert.ok(dropped.lines > 0, JSON.stringify(dropped));
    res.destroy();
  });
});
