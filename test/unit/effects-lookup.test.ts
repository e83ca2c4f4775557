// Small parsers and lookups of the effects layer: cgroup2 mount and path, execvp's program search.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cgroup2Mount, ownCgroup } from '../../src/effects/containment/cgroup/cgroup.js';
import { leafName } from '../../src/effects/containment/cgroup/cgroup-tree.js';
import { findProgram, resolveProgram } from '../../src/effects/spawn/find-program.js';

void describe('cgroup v2 discovery', () => {
  void it('finds the cgroup2 mount in mountinfo, hybrid or unified', () => {
    const hybrid = [
      '30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '42 31 0:39 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    ].join('\n');
    assert.equal(cgroup2Mount(hybrid), '/sys/fs/cgroup/unified');
    assert.equal(
      cgroup2Mount('35 24 0:30 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw'),
      '/sys/fs/cgroup',
    );
    assert.equal(
      cgroup2Mount('42 31 0:39 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory'),
      undefined,
    );
  });

  void it('reads the 0:: line of /proc/self/cgroup', () => {
    assert.equal(ownCgroup('4:memory:/x\n0::/user.slice/app.scope\n'), '/user.slice/app.scope');
    assert.equal(ownCgroup('4:memory:/x\n'), undefined);
  });

  void it('names leaf cgroups after instances', () => {
    assert.equal(leafName('web'), 'web');
    assert.equal(leafName('web:3'), 'web@3');
  });
});

void describe('findProgram (execvp lookup)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-find-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'bin', 'tool'), 0o755);
  writeFileSync(join(dir, 'bin', 'plain'), 'data');
  chmodSync(join(dir, 'bin', 'plain'), 0o644);

  void it('finds a program in PATH or by a path relative to cwd', () => {
    assert.equal(findProgram('tool', `/nonexistent:${join(dir, 'bin')}`, '/'), undefined);
    assert.equal(findProgram('./bin/tool', undefined, dir), undefined);
    assert.equal(findProgram('sh', undefined, '/'), undefined);
  });

  void it('resolves empty and relative PATH entries against the cwd the program starts in', () => {
    assert.equal(resolveProgram('tool', 'bin', dir), join(dir, 'bin', 'tool'));
    assert.equal(
      resolveProgram('tool', '/nonexistent:', join(dir, 'bin')),
      join(dir, 'bin', 'tool'),
    );
    assert.equal(findProgram('tool', 'bin', '/')?.spawnError, 'ENOENT');
  });

  void it('reports ENOENT for a missing program, EACCES for one without x', () => {
    assert.equal(findProgram('nope-not-here', join(dir, 'bin'), '/')?.spawnError, 'ENOENT');
    assert.equal(findProgram(join(dir, 'bin', 'nope'), undefined, '/')?.spawnError, 'ENOENT');
    if (process.getuid?.() !== 0) {
      assert.equal(findProgram('plain', join(dir, 'bin'), '/')?.spawnError, 'EACCES');
    }
    // A directory is not a program, even for root.
    assert.equal(findProgram(join(dir, 'bin'), undefined, '/')?.spawnError, 'EACCES');
  });
});
