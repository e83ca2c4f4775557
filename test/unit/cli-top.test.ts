// `warden top`'s drawing: sparklines, the rows and their order, keys decoded from a raw
// terminal, and a screen fitted to the terminal's size.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceFigures } from '../../src/ipc/protocol.js';
import { decodeKeys } from '../../src/cli/top/terminal.js';
import { History, sparkline } from '../../src/cli/top/sparkline.js';
import { TopModel } from '../../src/cli/top/top-model.js';
import { fit, renderPlain, renderScreen } from '../../src/cli/top/top-render.js';

const NOW = 1_800_000_000_000;

function figures(name: string, cpuPercent: number | null, memoryBytes: number): InstanceFigures {
  return {
    name,
    service: name.split(':')[0] ?? name,
    state: 'running',
    pid: 100 + name.length,
    since: NOW - 65_000,
    restarts: 0,
    startedAt: NOW - 65_000,
    tree: {
      pids: 1,
      memoryBytes,
      peakMemoryBytes: memoryBytes,
      cpuSeconds: 1,
      cpuPercent,
      pressure: null,
    },
  };
}

void describe('sparkline', () => {
  void it('draws each value as an eighth-block of the highest, newest last, padded left', () => {
    assert.equal(sparkline([0, 50, 100], 5, 100), '  ▁▅█');
    assert.equal(sparkline([1, 2, 4, 8], 4), '▂▃▅█');
    assert.equal(sparkline([null, 3, null], 3), ' █ ');
    assert.equal(sparkline([0, 0], 2), '▁▁', 'idle is the lowest bar, not a blank');
    assert.equal(sparkline([1, 2, 3, 4, 5], 2, 5), '▇█', 'only the newest that fit');
    assert.equal(sparkline([200], 1, 100), '█', 'above the top is a full bar');
  });

  void it('keeps the last HISTORY samples', () => {
    const h = new History(3);
    for (const v of [1, 2, 3, 4]) h.push(v);
    assert.deepEqual(h.values, [2, 3, 4]);
    assert.equal(h.last, 4);
  });
});

void describe('the top model and screen', () => {
  const model = (): TopModel => {
    const m = new TopModel();
    m.applyFrame({
      time: NOW,
      instances: [figures('web:0', 5, 30e6), figures('web:1', 80, 10e6), figures('db', 1, 300e6)],
    });
    return m;
  };

  void it('sorts by CPU, memory or name and keeps the selected instance across sorts', () => {
    const m = model();
    assert.deepEqual(
      m.rows().map((r) => r.name),
      ['web:1', 'web:0', 'db'],
    );
    assert.equal(m.selected, 'web:1', 'the first row');
    m.move(1);
    assert.equal(m.selected, 'web:0');
    m.sort = 'mem';
    assert.deepEqual(
      m.rows().map((r) => r.name),
      ['db', 'web:0', 'web:1'],
    );
    m.sort = 'name';
    assert.deepEqual(
      m.rows().map((r) => r.name),
      ['db', 'web:0', 'web:1'],
    );
    assert.equal(m.selected, 'web:0');
    m.move(10);
    assert.equal(m.selected, 'web:1', 'bounded');
  });

  void it('takes a state event at once, and drops instances a frame no longer lists', () => {
    const m = model();
    m.applyEvent({
      time: NOW + 1,
      instance: 'db',
      service: 'db',
      from: 'running',
      to: 'backoff',
      reason: 'exited',
      pid: null,
    });
    const db = m.rows().find((r) => r.name === 'db');
    assert.equal(db?.state, 'backoff');
    assert.equal(db?.tree, null);
    m.applyFrame({ time: NOW + 1000, instances: [figures('db', 2, 1e6)] });
    assert.deepEqual(
      m.rows().map((r) => r.name),
      ['db'],
    );
    assert.equal(m.selected, 'db');
  });

  void it('fits the screen to its size: title, header, rows, keys on the last line', () => {
    const m = model();
    m.setLastLine('db', 'ready to accept connections\u001b[31m');
    const lines = renderScreen(m, { width: 120, height: 8, now: NOW, isColour: false });
    assert.equal(lines.length, 8);
    for (const l of lines) assert.equal([...l].length, 120);
    assert.match(lines[0] ?? '', /^warden top · 3 instances, 3 running · sort: cpu/);
    assert.match(
      lines[1] ?? '',
      /^ {2}NAME\s+STATE\s+PID\s+RESTARTS\s+UPTIME\s+CPU↓\s+MEM\s+LAST LOG LINE/,
    );
    assert.match(lines[2] ?? '', /^> web:1\s+running\s+105\s+0\s+1m5s\s+80%\s+▇\s+9\.5M\s+▁\s*$/);
    assert.match(lines[4] ?? '', /286\.1M\s+█/, 'memory bars on one scale: the highest is full');
    assert.match(lines[4] ?? '', /db .*286\.1M .*ready to accept connections\\x1b\[31m/);
    assert.match(lines[7] ?? '', /q quit/);
    // Too narrow for sparklines: they go, the rest stays.
    const narrow = renderScreen(m, { width: 60, height: 4, now: NOW, isColour: false });
    assert.equal(narrow.length, 4);
    assert.doesNotMatch(narrow.join('\n'), /[▁-█]/);
    assert.match(narrow[2] ?? '', /^> web:1\s+running/);
  });

  void it('scrolls to keep the selected row in sight', () => {
    const m = new TopModel();
    m.applyFrame({
      time: NOW,
      instances: Array.from({ length: 20 }, (_, i) => figures(`w:${i}`, null, 1e6)),
    });
    m.sort = 'name';
    m.move(15);
    const lines = renderScreen(m, { width: 100, height: 8, now: NOW, isColour: false });
    assert.match(lines[6] ?? '', /^> w:15 /);
  });

  void it('prints a plain table without escape codes', () => {
    const text = renderPlain(model(), NOW);
    assert.ok(!text.includes('\u001b'), 'no escape codes');
    assert.match(text, /^web:1\s+running\s+105\s+0\s+1m5s\s+80%/m);
  });

  void it('cuts a line to the width with an ellipsis', () => {
    assert.equal(fit('abcdef', 4), 'abc…');
    assert.equal(fit('ab', 4), 'ab  ');
  });
});

void describe('decodeKeys', () => {
  void it('reads arrows, letters and Ctrl-C from one raw read', () => {
    assert.deepEqual(decodeKeys('\u001b[Aj\u001b[Bk\u0003q\u001bOB\u001b[6~'), [
      'up',
      'j',
      'down',
      'k',
      'interrupt',
      'q',
      'down',
      'pagedown',
    ]);
    assert.deepEqual(decodeKeys('\u001b[1;5C'), [], 'an unknown sequence is dropped whole');
    assert.deepEqual(decodeKeys('\u001bx\u001b'), ['escape', 'x', 'escape'], 'a lone ESC');
    assert.deepEqual(decodeKeys('\u001b[5'), ['escape', '[', '5'], 'a sequence cut short');
  });
});
