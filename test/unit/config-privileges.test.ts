// `user`, `group` and `groups` resolved against user databases of the test's own making, and the
// root the daemon needs for them (src/config/privileges.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveRunAs } from '../../src/config/privileges.js';
import { capabilityNumber } from '../../src/effects/identity/capabilities.js';
import { credsField } from '../../src/effects/spawn/privileges.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-users-'));
const db = { passwd: join(dir, 'passwd'), group: join(dir, 'group'), nss: false };
writeFileSync(
  db.passwd,
  'root:x:0:0:root:/root:/bin/bash\nwww:x:33:33:www:/var/www:/usr/sbin/nologin\n',
);
writeFileSync(db.group, 'root:x:0:\nwww:x:33:\nssl:x:110:www\nlogs:x:4:other,www\nextra:x:500:\n');

void describe('resolveRunAs', () => {
  after(() => rmSync(dir, { recursive: true }));

  void it('takes the user, its primary group and the groups that list it (initgroups)', () => {
    const { runAs, issues } = resolveRunAs('web', { user: 'www', groups: ['extra'] }, 0, db);
    assert.deepEqual(issues, []);
    assert.deepEqual(runAs, {
      user: 'www',
      uid: 33,
      gid: 33,
      groups: [33, 110, 4, 500],
      home: '/var/www',
      shell: '/usr/sbin/nologin',
    });
  });

  void it('takes a uid and a group given as numbers, the group as primary', () => {
    const { runAs } = resolveRunAs('web', { user: 33, group: 'ssl' }, 0, db);
    assert.equal(runAs?.uid, 33);
    assert.equal(runAs?.gid, 110);
    assert.deepEqual(runAs?.groups, [110, 33, 4]);
  });

  void it('says which user or group is unknown, at its key', () => {
    const { runAs, issues } = resolveRunAs('web', { user: 'nobody', groups: ['x', 'ssl'] }, 0, db);
    assert.equal(runAs, null);
    assert.deepEqual(
      issues.map((i) => [i.path.join('.'), i.message.split(' in ')[0]]),
      [
        ['services.web.user', 'no user "nobody"'],
        ['services.web.groups.0', 'no group "x"'],
      ],
    );
  });

  void it('refuses user, group, groups and capabilities when the daemon is not root', () => {
    const { issues } = resolveRunAs('web', { user: 'www', capabilities: ['CAP_KILL'] }, 1000, db);
    assert.deepEqual(
      issues.map((i) => i.message),
      [
        '"user" needs root; the daemon runs as uid 1000 (start it as root, or remove "user")',
        '"capabilities" needs root; the daemon runs as uid 1000 (start it as root, or remove "capabilities")',
      ],
    );
  });

  void it('runs as the daemon when no key names an account', () => {
    assert.deepEqual(resolveRunAs('web', {}, 1000, db), { runAs: null, issues: [] });
  });
});

void describe('the CREDS field of warden-spawner', () => {
  void it('encodes what changes, -1 for what stays, capabilities as a hex mask', () => {
    assert.equal(credsField(undefined), '');
    assert.equal(
      credsField({
        uid: 33,
        gid: 33,
        groups: [33, 4],
        umask: 0o027,
        noNewPrivileges: true,
        capabilities: [10, 40],
      }),
      `33 33 23 1 ${((1n << 10n) | (1n << 40n)).toString(16)} 33,4`,
    );
    assert.equal(
      credsField({ umask: 0o077, noNewPrivileges: false, capabilities: [] }),
      '-1 -1 63 0 0 ',
    );
  });

  void it('knows capability names with or without CAP_, in any case', () => {
    assert.equal(capabilityNumber('CAP_NET_BIND_SERVICE'), 10);
    assert.equal(capabilityNumber('net_bind_service'), 10);
    assert.equal(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
    assert.equal(capabilityNumber('CAP_NOPE'), undefined);
  });
});
