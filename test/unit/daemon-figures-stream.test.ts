// The figures stream of `subscribe` (src/daemon/figures.ts): one frame per interval on a
// virtual clock, no timer left once the subscriber's connection closes, frames skipped (not
// queued) for a reader far behind.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { streamFigures, type FiguresSink } from '../../src/daemon/figures.js';
import { MAX_BACKLOG } from '../../src/daemon/events.js';
import { FakeClock } from '../helpers/fake-clock.js';

class Sink extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  readonly lines: string[] = [];
  write(chunk: string): boolean {
    this.lines.push(chunk);
    return true;
  }
}

const FIGURES = [
  {
    name: 'web',
    service: 'web',
    state: 'running' as const,
    pid: 42,
    since: 1,
    restarts: 0,
    startedAt: 1,
    tree: null,
  },
];

void describe('streamFigures', () => {
  void it('writes one frame per interval until the connection closes, then holds no timer', () => {
    const clock = new FakeClock();
    const sink = new Sink();
    streamFigures(sink as unknown as FiguresSink, 1000, clock, () => FIGURES);
    assert.equal(sink.lines.length, 0, 'the first frame one interval later');
    assert.equal(clock.pending, 1);
    clock.advance(3000);
    assert.equal(sink.lines.length, 3);
    assert.deepEqual(JSON.parse(sink.lines[2] ?? ''), {
      figures: { time: clock.now(), instances: FIGURES },
    });
    sink.destroyed = true;
    sink.emit('close');
    assert.equal(clock.pending, 0, 'no timer once the subscriber is gone');
    clock.advance(5000);
    assert.equal(sink.lines.length, 3);
  });

  void it('skips frames while the reader is more than MAX_BACKLOG behind', () => {
    const clock = new FakeClock();
    const sink = new Sink();
    let reads = 0;
    streamFigures(sink as unknown as FiguresSink, 250, clock, () => (reads++, FIGURES));
    sink.writableLength = MAX_BACKLOG + 1;
    clock.advance(1000);
    assert.equal(sink.lines.length, 0);
    assert.equal(reads, 0, 'nothing read for a frame not sent');
    sink.writableLength = 0;
    clock.advance(250);
    assert.equal(sink.lines.length, 1);
  });
});
