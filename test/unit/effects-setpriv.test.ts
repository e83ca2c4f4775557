// The setpriv(1) command line of a start with privileges without warden-spawner
// (src/effects/spawn/setpriv.ts), and what setpriv makes of it: run for real where it is installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  findSetpriv,
  setprivArgv,
  setprivOptions,
  umaskCommand,
} from '../../src/effects/spawn/setpriv.js';
import type { SpawnPrivileges } from '../../src/effects/spawn/privileges.js';

const full: SpawnPrivileges = {
  uid: 33,
  gid: 33,
  groups: [33, 110, 4],
  umask: 0o27,
  noNewPrivileges: true,
  capabilities: [10, 13],
};

void describe('setpriv options', () => {
  void it('sets uid, gid, the groups as given, no_new_privs and the ambient capabilities', () => {
    assert.deepEqual(setprivOptions(full), [
      '--reuid=33',
      '--regid=33',
      '--groups=33,110,4',
      '--no-new-privs',
      '--inh-caps=+net_bind_service,+net_raw',
      '--ambient-caps=+net_bind_service,+net_raw',
      '--',
    ]);
  });

  void it('needs no setpriv for a umask alone: the command runs as it is', () => {
    const p: SpawnPrivileges = { umask: 0o7, noNewPrivileges: false, capabilities: [] };
    assert.deepEqual(setprivOptions(p), []);
    assert.deepEqual(setprivArgv(['/bin/true', 'x'], p, 'why'), ['/bin/true', 'x']);
    assert.equal(umaskCommand(p), 'umask 007; ');
    assert.equal(umaskCommand({ noNewPrivileges: false, capabilities: [] }), '');
  });

  void it('no_new_privileges alone needs no root', () => {
    const p: SpawnPrivileges = { noNewPrivileges: true, capabilities: [] };
    assert.deepEqual(setprivOptions(p), ['--no-new-privs', '--']);
  });

  void it('setpriv runs the command with them, options of the command left alone', (t) => {
    const setpriv = findSetpriv();
    if (setpriv === undefined) return t.skip('no setpriv(1)');
    const p: SpawnPrivileges = { noNewPrivileges: true, capabilities: [] };
    const argv = setprivArgv(['/bin/sh', '-c', 'grep NoNewPrivs /proc/self/status'], p, 'why');
    assert.equal(argv[0], setpriv);
    const out = execFileSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' });
    assert.match(out, /NoNewPrivs:\s+1/);
  });
});
