// The logs command line read without commander (logs-entry.ts): what it takes, and every line
// it must leave to commander (help, unknown or combined flags, a value that looks like a flag).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verbOf } from '../../src/cli/entry.js';
import { parseLogsLine } from '../../src/cli/logs-entry.js';

void describe('parseLogsLine', () => {
  void it('reads every option of logs, global options on either side', () => {
    assert.deepEqual(
      parseLogsLine([
        '--home',
        '/h',
        'logs',
        'web:1',
        '-n',
        '20',
        '-f',
        '--since=10m',
        '--grep',
        'EADDR',
        '--stderr',
        'api',
        '--timeout=5s',
      ]),
      {
        targets: ['web:1', 'api'],
        options: {
          home: '/h',
          lines: '20',
          follow: true,
          since: '10m',
          grep: 'EADDR',
          stderr: true,
          answerTimeout: '5s',
        },
      },
    );
    assert.deepEqual(parseLogsLine(['logs', '-n5', '--lines=7', '--reopen']), {
      targets: [],
      options: { lines: '7', reopen: true },
    });
  });

  void it('leaves to commander what it does not fully understand', () => {
    for (const args of [
      ['logs', '--help'],
      ['logs', '-fn', '5'],
      ['logs', '--', 'web'],
      ['logs', '-n'],
      ['logs', '--grep', '-x'],
      ['logs', '--follow=yes'],
      ['status'],
      ['-f', 'logs'],
    ])
      assert.equal(parseLogsLine(args), undefined, args.join(' '));
  });

  void it('finds the verb after the global options', () => {
    assert.equal(verbOf(['--home', '/h', '--timeout=2s', 'logs', '-n', '5']), 'logs');
    assert.equal(verbOf(['--home=/h', 'status']), 'status');
    assert.equal(verbOf(['--home']), undefined);
  });
});
