// Exit statuses and signal names: decoding waitid(2)'s siginfo, the clean/unclean split, the
// human form, and parsing signals given by name or number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeWaitid,
  formatExit,
  isCleanExit,
  isSignalExit,
  isSpawnFailure,
  type ExitStatus,
  type LastExit,
} from '../../src/core/exit.js';
import { isSignalName, parseSignal, SIGNALS, type SignalName } from '../../src/core/signals.js';

void describe('decodeWaitid', () => {
  // [si_code, si_status] as waitid(2) fills them: CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3.
  const cases: [number, number, ExitStatus][] = [
    [1, 0, { code: 0 }],
    [1, 1, { code: 1 }],
    [1, 255, { code: 255 }],
    [2, 15, { signal: 'SIGTERM', coreDumped: false }],
    [2, 9, { signal: 'SIGKILL', coreDumped: false }],
    [3, 11, { signal: 'SIGSEGV', coreDumped: true }],
    [2, 11, { signal: 'SIGSEGV', coreDumped: false }],
    [3, 6, { signal: 'SIGABRT', coreDumped: true }],
    [2, 34, { signal: 'SIGRTMIN+0', coreDumped: false }],
    [2, 40, { signal: 'SIGRTMIN+6', coreDumped: false }],
    [2, 32, { signal: 'signal 32', coreDumped: false }],
  ];
  for (const [code, status, expected] of cases) {
    void it(`(${code}, ${status}) → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(decodeWaitid(code, status), expected);
    });
  }
});

void describe('isCleanExit', () => {
  const cases: [ExitStatus, boolean][] = [
    [{ code: 0 }, true],
    [{ code: 1 }, false],
    [{ code: 143 }, false],
    [{ code: -1 }, false],
    [{ signal: 'SIGHUP', coreDumped: false }, true],
    [{ signal: 'SIGINT', coreDumped: false }, true],
    [{ signal: 'SIGTERM', coreDumped: false }, true],
    [{ signal: 'SIGPIPE', coreDumped: false }, true],
    [{ signal: 'SIGKILL', coreDumped: false }, false],
    [{ signal: 'SIGSEGV', coreDumped: true }, false],
    [{ signal: 'SIGABRT', coreDumped: false }, false],
    [{ signal: 'SIGUSR1', coreDumped: false }, false],
    [{ signal: 'SIGQUIT', coreDumped: true }, false],
  ];
  for (const [exit, clean] of cases) {
    void it(`${formatExit(exit)} is ${clean ? 'clean' : 'a failure'}`, () => {
      assert.equal(isCleanExit(exit), clean);
    });
  }
});

void describe('formatExit', () => {
  const cases: [LastExit, string][] = [
    [{ code: 0 }, 'exit 0'],
    [{ code: 1 }, 'exit 1'],
    [{ code: 126 }, 'exit 126 (not executable)'],
    [{ code: 127 }, 'exit 127 (command not found)'],
    [{ code: 128 }, 'exit 128'],
    [{ signal: 'SIGTERM', coreDumped: false }, 'SIGTERM'],
    [{ signal: 'SIGSEGV', coreDumped: true }, 'SIGSEGV (core dumped)'],
    [{ signal: 'SIGSEGV', coreDumped: false }, 'SIGSEGV'],
    [
      { spawnError: 'ENOENT', path: '/usr/bin/nope', message: 'spawn /usr/bin/nope ENOENT' },
      'spawn failed: ENOENT (/usr/bin/nope)',
    ],
    [{ spawnError: 'EACCES', path: '/srv/app', message: 'x' }, 'spawn failed: EACCES (/srv/app)'],
  ];
  for (const [exit, text] of cases) {
    void it(`${JSON.stringify(exit)} → ${text}`, () => {
      assert.equal(formatExit(exit), text);
    });
  }

  void it('the type guards tell the three kinds apart', () => {
    const spawn: LastExit = { spawnError: 'ENOENT', path: '/x', message: 'm' };
    const signal: LastExit = { signal: 'SIGKILL', coreDumped: false };
    const code: LastExit = { code: 0 };
    assert.deepEqual([spawn, signal, code].map(isSpawnFailure), [true, false, false]);
    assert.deepEqual([spawn, signal, code].map(isSignalExit), [false, true, false]);
  });
});

void describe('parseSignal', () => {
  const good: [string | number, SignalName][] = [
    ['SIGTERM', 'SIGTERM'],
    ['TERM', 'SIGTERM'],
    ['term', 'SIGTERM'],
    ['sigterm', 'SIGTERM'],
    ['SigHup', 'SIGHUP'],
    ['15', 'SIGTERM'],
    [15, 'SIGTERM'],
    ['015', 'SIGTERM'],
    [9, 'SIGKILL'],
    ['kill', 'SIGKILL'],
    [1, 'SIGHUP'],
    [31, 'SIGSYS'],
    ['USR1', 'SIGUSR1'],
    ['winch', 'SIGWINCH'],
  ];
  for (const [input, name] of good) {
    void it(`${JSON.stringify(input)} → ${name}`, () => {
      assert.equal(parseSignal(input), name);
    });
  }

  const bad: (string | number)[] = [
    '',
    'SIG',
    'FOO',
    'SIGFOO',
    '0',
    0,
    32,
    '32',
    64,
    -15,
    '-15',
    1.5,
    Number.NaN,
    ' TERM',
    'TERM ',
    'SIGRTMIN',
    'IOT',
    'constructor',
    'hasOwnProperty',
    'SIG TERM',
  ];
  for (const input of bad) {
    void it(`rejects ${typeof input === 'string' ? JSON.stringify(input) : String(input)}`, () => {
      assert.equal(parseSignal(input), undefined);
    });
  }

  void it('round-trips every signal by name and by number', () => {
    for (const [name, n] of Object.entries(SIGNALS)) {
      assert.equal(parseSignal(name), name);
      assert.equal(parseSignal(n), name);
      assert.equal(parseSignal(name.slice(3).toLowerCase()), name);
    }
  });
});

void describe('signal tables', () => {
  void it('numbers follow signal(7) on x86_64 and are unique', () => {
    assert.equal(SIGNALS.SIGKILL, 9);
    assert.equal(SIGNALS.SIGTERM, 15);
    assert.equal(SIGNALS.SIGCHLD, 17);
    assert.equal(SIGNALS.SIGSTOP, 19);
    const numbers = Object.values(SIGNALS);
    assert.equal(new Set(numbers).size, numbers.length);
    assert.deepEqual(
      [...numbers].sort((a, b) => a - b),
      Array.from({ length: 31 }, (_, i) => i + 1),
    );
  });

  void it('isSignalName accepts only canonical names, not inherited keys', () => {
    assert.equal(isSignalName('SIGTERM'), true);
    assert.equal(isSignalName('TERM'), false);
    assert.equal(isSignalName('sigterm'), false);
    assert.equal(isSignalName('toString'), false);
    assert.equal(isSignalName('__proto__'), false);
  });
});
