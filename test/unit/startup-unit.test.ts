// The unit `warden startup` writes, as text: systemd's quoting of ExecStart= arguments and
// Environment=, specifiers, the stop timeout, and what differs between system and user units.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stopTimeoutSec, unitText, type UnitSpec } from '../../src/cli/commands/startup-unit.js';

const SPEC: UnitSpec = {
  user: false,
  node: '/usr/bin/node',
  warden: '/usr/lib/node_modules/warden/bin/warden',
  home: '/var/lib/warden',
  config: '/srv/app/warden.yaml',
  longestStopMs: 10_000,
  path: '/usr/bin:/bin',
  runAs: undefined,
  version: '0.1.0',
};

const valuesOf = (text: string, key: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

void describe('unitText', () => {
  void it('runs warden run with absolute paths; plain arguments stay unquoted', () => {
    const text = unitText(SPEC);
    assert.deepEqual(valuesOf(text, 'ExecStart'), [
      '/usr/bin/node /usr/lib/node_modules/warden/bin/warden --home /var/lib/warden run -f /srv/app/warden.yaml',
    ]);
    assert.deepEqual(valuesOf(text, 'Environment'), ['"PATH=/usr/bin:/bin"']);
    assert.deepEqual(valuesOf(text, 'WantedBy'), ['multi-user.target']);
    assert.deepEqual(valuesOf(text, 'After'), ['network-online.target']);
    assert.deepEqual(valuesOf(text, 'User'), []);
    assert.match(text, /^# Written by `warden startup`/);
  });

  void it('doubles % and $, and quotes spaces, quotes and backslashes', () => {
    const text = unitText({ ...SPEC, config: '/srv/a b/%i/$HOME/"q"\\x.yaml', path: '/a%b' });
    assert.deepEqual(
      valuesOf(text, 'ExecStart').map((l) => l.split(' -f ')[1]),
      ['"/srv/a b/%%i/$$HOME/\\"q\\"\\\\x.yaml"'],
    );
    assert.deepEqual(valuesOf(text, 'Environment'), ['"PATH=/a%%b"']);
    assert.match(valuesOf(text, 'Description')[0] ?? '', /%%i/);
  });

  void it('a user unit: default.target, no network-online ordering; User= for a non-root system unit', () => {
    const user = unitText({ ...SPEC, user: true });
    assert.deepEqual(valuesOf(user, 'WantedBy'), ['default.target']);
    assert.deepEqual(valuesOf(user, 'After'), []);
    assert.deepEqual(valuesOf(unitText({ ...SPEC, runAs: 'alice' }), 'User'), ['alice']);
  });

  void it('gives the stop the longest stop_timeout, SIGKILL grace and a margin, in whole seconds', () => {
    assert.equal(stopTimeoutSec(10_000), 25);
    assert.equal(stopTimeoutSec(45_500), 61);
    assert.equal(stopTimeoutSec(0), 15);
  });
});
