// `subscribe` with `figuresMs`: the daemon pushes a figures frame of every subscribed instance
// at that interval, beside the state events; without it the stream is as before (events only).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { Socket } from 'node:net';
import type { FiguresFrame } from '../../src/ipc/protocol.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { onLines, open } from '../helpers/control-clients.js';

const CONFIG = `
services:
  one:
    command: [sleep, "600"]
    min_uptime: 100ms
  two:
    command: [sh, -c, "while :; do :; done"]
    min_uptime: 100ms
`;

interface Line {
  at: number;
  message: Record<string, unknown>;
}

// The lines received on `socket` from now on, with when they came.
function collect(socket: Socket): Line[] {
  const lines: Line[] = [];
  onLines(socket, (l) => lines.push({ at: Date.now(), message: JSON.parse(l) as Line['message'] }));
  return lines;
}

void describe('subscribe with figuresMs', () => {
  let s: Sandbox;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await s.cleanup();
  });

  void it('pushes a figures frame about every interval, state events at once', async () => {
    s = sandbox();
    s.config(CONFIG);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const socket = await open(join(s.home, 'warden.sock'));
    sockets.push(socket);
    const lines = collect(socket);
    socket.write(`${JSON.stringify({ id: 1, method: 'subscribe', params: { figuresMs: 300 } })}\n`);
    const frames = (): Line[] => lines.filter((l) => 'figures' in l.message);
    await waitFor('5 figures frames', () => frames().length >= 5, 10_000);
    assert.deepEqual(lines[0]?.message, { id: 1, result: { subscribed: ['one', 'two'] } });
    const got = frames();
    for (let i = 1; i < got.length; i++) {
      const gap = (got[i]?.at ?? 0) - (got[i - 1]?.at ?? 0);
      assert.ok(gap > 150 && gap < 1500, `frames ${gap} ms apart, asked for 300`);
    }
    const last = got.at(-1)?.message.figures as FiguresFrame;
    assert.deepEqual(
      last.instances.map((i) => [i.name, i.state, i.restarts]),
      [
        ['one', 'running', 0],
        ['two', 'running', 0],
      ],
    );
    const busy = last.instances[1];
    assert.ok(busy?.pid !== null && busy?.tree !== null && busy?.tree !== undefined);
    assert.ok(busy.tree.memoryBytes > 0 && busy.tree.pids >= 1, JSON.stringify(busy.tree));
    assert.ok((busy.tree.cpuPercent ?? 0) > 20, `a busy loop: ${busy.tree.cpuPercent}%`);

    // A state change comes as an event, not only in the next frame.
    const before = lines.length;
    assert.equal((await s.warden(['stop', 'one'])).code, 0);
    await waitFor('the stop of one as events', () =>
      lines
        .slice(before)
        .some((l) =>
          JSON.stringify(l.message).includes(
            '"instance":"one","service":"one","from":"stopping","to":"stopped"',
          ),
        ),
    );
    await waitFor('a frame with one stopped', () => {
      const f = frames().at(-1)?.message.figures as FiguresFrame;
      return f.instances[0]?.state === 'stopped' && f.instances[0].tree === null;
    });
  });

  void it('sends no frame without figuresMs, and refuses an interval out of bounds', async () => {
    s = sandbox();
    s.config(CONFIG);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const socket = await open(join(s.home, 'warden.sock'));
    sockets.push(socket);
    const lines = collect(socket);
    socket.write(`${JSON.stringify({ id: 1, method: 'subscribe', params: { figuresMs: 100 } })}\n`);
    socket.write(`${JSON.stringify({ id: 2, method: 'subscribe', params: {} })}\n`);
    await waitFor('both answers', () => lines.length >= 2);
    const first = lines.find((l) => l.message.id === 1)?.message as { error?: { code: string } };
    assert.equal(first.error?.code, 'INVALID_PARAMS');
    // The events of a restart arrive; no figures line comes among them.
    assert.equal((await s.warden(['restart', 'one'])).code, 0);
    await waitFor('one running again', () =>
      lines.some((l) => JSON.stringify(l.message).includes('"to":"running"')),
    );
    assert.ok(
      lines.every((l) => !('figures' in l.message)),
      JSON.stringify(lines),
    );
  });
});
