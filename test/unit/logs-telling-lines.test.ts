// The telling lines of real crash outputs (captured from node 20, python 3.11, rustc, java 17,
// dash and bash; Go's as it prints them): the error, never its epilogue.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TellingLines, tellingLines } from '../../src/logs/telling-lines.js';

// Ports, pids and paths made stable; the rest as the runtimes wrote it to stderr.
const CRASH = {
  nodeAddrInUse: [
    'node:events:502',
    "      throw er; // Unhandled 'error' event",
    '      ^',
    '',
    'Error: listen EADDRINUSE: address already in use 127.0.0.1:3900',
    '    at Server.setupListenHandle [as _listen2] (node:net:1908:16)',
    '    at listenInCluster (node:net:1965:12)',
    '    at doListen (node:net:2139:7)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:83:21)',
    "Emitted 'error' event on Server instance at:",
    '    at emitErrorNT (node:net:1944:8)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:82:21) {',
    "  code: 'EADDRINUSE',",
    '  errno: -98,',
    "  syscall: 'listen',",
    "  address: '127.0.0.1',",
    '  port: 3900',
    '}',
    '',
    'Node.js v20.20.2',
  ],
  nodeArgType: [
    'node:internal/errors:541',
    '      throw error;',
    '      ^',
    '',
    'TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string or an instance of Buffer or URL. Received undefined',
    '    at Object.openSync (node:fs:571:10)',
    '    at Object.readFileSync (node:fs:452:35)',
    '    at [eval]:1:15',
    '    at runScriptInThisContext (node:internal/vm:209:10)',
    '    at node:internal/process/execution:118:14',
    '    at [eval]-wrapper:6:24',
    '    at runScript (node:internal/process/execution:101:62)',
    '    at evalScript (node:internal/process/execution:133:3)',
    '    at node:internal/main/eval_string:51:3 {',
    "  code: 'ERR_INVALID_ARG_TYPE'",
    '}',
    '',
    'Node.js v20.20.2',
  ],
  nodeThrowString: [
    '',
    '[eval]:1',
    'throw "boom"',
    '^',
    'boom',
    '(Use `node --trace-uncaught ...` to show where the exception was thrown)',
    '',
    'Node.js v20.20.2',
  ],
  nodeSyntax: [
    '/srv/app/syn.js:1',
    'const x = ;',
    '          ^',
    '',
    "SyntaxError: Unexpected token ';'",
    '    at wrapSafe (node:internal/modules/cjs/loader:1464:18)',
    '    at Module._compile (node:internal/modules/cjs/loader:1495:20)',
    '    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)',
    '    at Module.load (node:internal/modules/cjs/loader:1266:32)',
    '    at Module._load (node:internal/modules/cjs/loader:1091:12)',
    '    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)',
    '    at node:internal/main/run_main_module:28:49',
    '',
    'Node.js v20.20.2',
  ],
  pythonChained: [
    'Traceback (most recent call last):',
    '  File "/srv/app/c.py", line 4, in load',
    '    open("/nope/app.json")',
    "FileNotFoundError: [Errno 2] No such file or directory: '/nope/app.json'",
    '',
    'The above exception was the direct cause of the following exception:',
    '',
    'Traceback (most recent call last):',
    '  File "/srv/app/c.py", line 8, in <module>',
    '    print(x["b"]) if False else load()',
    '                                ^^^^^^',
    '  File "/srv/app/c.py", line 6, in load',
    '    raise RuntimeError("cannot load config") from e',
    'RuntimeError: cannot load config',
  ],
  pythonKeyError: [
    'Traceback (most recent call last):',
    '  File "/srv/app/k.py", line 2, in <module>',
    '    print(d["a"]["c"] + 1)',
    '          ~~~~~~^^^^^',
    "KeyError: 'c'",
  ],
  goPanic: [
    'panic: runtime error: index out of range [5] with length 3',
    '',
    'goroutine 1 [running]:',
    'main.lookup(...)',
    '\t/srv/app/main.go:12',
    'main.main()',
    '\t/srv/app/main.go:7 +0x1d',
  ],
  goLogFatal: [
    '2026/12/07 01:40:02 loading config from /etc/app.yaml',
    '2026/12/07 01:40:02 listen tcp 127.0.0.1:3900: bind: address already in use',
  ],
  rustPanic: [
    '',
    "thread 'main' (4242) panicked at p.rs:1:56:",
    'config file missing: /etc/app.toml',
    'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
  ],
  rustBacktrace: [
    '',
    "thread 'main' (4242) panicked at q.rs:1:66:",
    'called `Result::unwrap()` on an `Err` value: "bad port"',
    'stack backtrace:',
    '   0: __rustc::rust_begin_unwind',
    '             at /rustc/5980761/library/std/src/panicking.rs:689:5',
    '   1: core::panicking::panic_fmt',
    '             at /rustc/5980761/library/core/src/panicking.rs:80:14',
    '   2: core::result::unwrap_failed',
    '             at /rustc/5980761/library/core/src/result.rs:1867:5',
    '   3: q::main',
    '   4: core::ops::function::FnOnce::call_once',
    'note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.',
  ],
  javaCausedBy: [
    'Exception in thread "main" java.lang.IllegalStateException: cannot start',
    '\tat Main.main(Main.java:1)',
    'Caused by: java.io.IOException: disk',
    '\tat Main.main(Main.java:1)',
    '\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)',
    '\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke(NativeMethodAccessorImpl.java:77)',
    '\tat java.base/jdk.internal.reflect.DelegatingMethodAccessorImpl.invoke(DelegatingMethodAccessorImpl.java:43)',
    '\tat java.base/java.lang.reflect.Method.invoke(Method.java:569)',
    '\tat jdk.compiler/com.sun.tools.javac.launcher.Main.execute(Main.java:419)',
    '\tat jdk.compiler/com.sun.tools.javac.launcher.Main.run(Main.java:192)',
    '\tat jdk.compiler/com.sun.tools.javac.launcher.Main.main(Main.java:132)',
  ],
  dashNotFound: ['sh: 1: nope-warden-cmd: not found'],
  bashNotFound: ['bash: line 1: nope-warden-cmd: command not found'],
} satisfies Record<string, string[]>;

void describe('tellingLines', () => {
  const cases: [keyof typeof CRASH, string[]][] = [
    ['nodeAddrInUse', ['Error: listen EADDRINUSE: address already in use 127.0.0.1:3900']],
    [
      'nodeArgType',
      [
        'TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string or an instance of Buffer or URL. Received undefined',
      ],
    ],
    ['nodeThrowString', ['boom']],
    ['nodeSyntax', ["SyntaxError: Unexpected token ';'"]],
    ['pythonChained', ['Traceback (most recent call last):', 'RuntimeError: cannot load config']],
    ['pythonKeyError', ['Traceback (most recent call last):', "KeyError: 'c'"]],
    ['goPanic', ['panic: runtime error: index out of range [5] with length 3']],
    ['goLogFatal', ['2026/12/07 01:40:02 listen tcp 127.0.0.1:3900: bind: address already in use']],
    [
      'rustPanic',
      ["thread 'main' (4242) panicked at p.rs:1:56:", 'config file missing: /etc/app.toml'],
    ],
    [
      'rustBacktrace',
      [
        "thread 'main' (4242) panicked at q.rs:1:66:",
        'called `Result::unwrap()` on an `Err` value: "bad port"',
      ],
    ],
    [
      'javaCausedBy',
      [
        'Exception in thread "main" java.lang.IllegalStateException: cannot start',
        'Caused by: java.io.IOException: disk',
      ],
    ],
    ['dashNotFound', ['sh: 1: nope-warden-cmd: not found']],
    ['bashNotFound', ['bash: line 1: nope-warden-cmd: command not found']],
  ];
  for (const [name, want] of cases) {
    void it(`${name}: ${want.join(' / ')}`, () => {
      assert.deepEqual(tellingLines(CRASH[name]), want);
    });
  }

  void it('never shows a blank line, a bare brace or a version banner', () => {
    assert.deepEqual(tellingLines(['}', '', 'Node.js v20.20.2', '   ']), []);
    assert.deepEqual(tellingLines([]), []);
  });

  void it('without an error block, shows the last line that says something', () => {
    const log = ['flaky: starting', 'flaky: something went wrong, exiting 1', ''];
    assert.deepEqual(tellingLines(log), ['flaky: something went wrong, exiting 1']);
  });

  void it('takes the first line of the last error block, not of an earlier one', () => {
    const lines = ['error: first try failed', 'retrying', '', 'Error: second try failed', 'bye'];
    assert.deepEqual(tellingLines(lines), ['Error: second try failed', 'bye']);
  });

  void it('finds a headline far above the end of a long trace', () => {
    const frames = Array.from({ length: 500 }, (_, i) => `    at f${i} (/srv/app/a.js:${i}:1)`);
    assert.deepEqual(tellingLines(['Error: deep', ...frames, '', 'Node.js v22.1.0']), [
      'Error: deep',
    ]);
  });

  void it('cuts a long line to 512 characters', () => {
    const [line] = tellingLines([`Error: ${'x'.repeat(2000)}`]);
    assert.equal(line?.length, 512);
    assert.ok(line?.endsWith('…'));
  });

  void it('forgets the earlier run on clear', () => {
    const picker = new TellingLines();
    for (const line of CRASH.nodeAddrInUse) picker.push(line);
    picker.clear();
    picker.push('second run: bye');
    assert.deepEqual(picker.lines(), ['second run: bye']);
  });
});
