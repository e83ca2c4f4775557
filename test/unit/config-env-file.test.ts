// dotenv parsing for env_file: the accepted syntax and every malformed line reported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvFile } from '../../src/config/env-file.js';

void describe('parseEnvFile', () => {
  void it('reads plain, exported, quoted and commented lines', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=yes',
      '  SPACED = padded value  ',
      "SINGLE='no \\n escapes # here'",
      'DOUBLE="line1\\nline2\\t\\"q\\" \\\\ \\x"',
      'COMMENTED=3000 # the port',
      'HASH=a#b',
      'EMPTY=',
      'QUOTED_EMPTY=""',
      'URL=postgres://u:p@h/db?x=1',
      'PLAIN=override',
      'CRLF=1\r\nAFTER_CRLF=2',
    ].join('\n');
    assert.deepEqual(parseEnvFile(text), {
      ok: true,
      env: {
        PLAIN: 'override',
        EXPORTED: 'yes',
        SPACED: 'padded value',
        SINGLE: 'no \\n escapes # here',
        DOUBLE: 'line1\nline2\t"q" \\ \\x',
        COMMENTED: '3000',
        HASH: 'a#b',
        EMPTY: '',
        QUOTED_EMPTY: '',
        URL: 'postgres://u:p@h/db?x=1',
        CRLF: '1',
        AFTER_CRLF: '2',
      },
    });
  });

  void it('reports every malformed line with its 1-based number', () => {
    const text = [
      'OK=1',
      'no equals sign',
      '1BAD=x',
      'A="open',
      "B='open",
      'C="x" trailing',
      '',
    ].join('\n');
    assert.deepEqual(parseEnvFile(text), {
      ok: false,
      errors: [
        { line: 2, message: 'expected KEY=value (KEY: letters, digits and "_")' },
        { line: 3, message: 'expected KEY=value (KEY: letters, digits and "_")' },
        { line: 4, message: 'A: unterminated double quote' },
        { line: 5, message: 'B: unterminated single quote' },
        { line: 6, message: 'C: unexpected text after the closing quote: "trailing"' },
      ],
    });
  });

  void it('keeps a __proto__ key as an ordinary variable', () => {
    const result = parseEnvFile('__proto__=x\n');
    assert.equal(result.ok, true);
    if (result.ok)
      assert.equal(Object.getOwnPropertyDescriptor(result.env, '__proto__')?.value, 'x');
  });
});
