// `control.group` (docs/config/control.md): resolved against the group database; a daemon that
// is not root may name only a group of its own.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveControl } from '../../src/config/control.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-control-'));
const db = { passwd: join(dir, 'passwd'), group: join(dir, 'group'), nss: false };
writeFileSync(db.passwd, 'root:x:0:0::/root:/bin/sh\n');
writeFileSync(db.group, 'root:x:0:\nwarden:x:990:alice\nother:x:991:\n');
const root = { uid: 0, gids: [0] };

void describe('resolveControl', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('resolves a group by name or gid', () => {
    const byName = resolveControl({ control: { group: 'warden' } }, root, db);
    assert.deepEqual(byName, { control: { group: 'warden', gid: 990 }, issues: [] });
    const byGid = resolveControl({ control: { group: 990 } }, root, db);
    assert.deepEqual(byGid.control, { group: 'warden', gid: 990 });
  });

  void it('costs nothing when absent', () => {
    assert.deepEqual(resolveControl({ services: {} }, root, db), {
      control: undefined,
      issues: [],
    });
  });

  void it('reports an unknown group at control.group', () => {
    const { control, issues } = resolveControl({ control: { group: 'nope' } }, root, db);
    assert.equal(control, undefined);
    assert.deepEqual(issues, [
      {
        path: ['control', 'group'],
        target: 'value',
        message:
          'no group "nope" in the group database (group(5)); create it (groupadd) or fix the name',
      },
    ]);
  });

  void it('lets a daemon that is not root name only a group it is in', () => {
    const alice = { uid: 1000, gids: [1000, 990] };
    assert.deepEqual(resolveControl({ control: { group: 'warden' } }, alice, db).issues, []);
    const { issues } = resolveControl({ control: { group: 'other' } }, alice, db);
    assert.match(issues[0]?.message ?? '', /uid 1000, which is not a member of group "other"/);
  });
});
