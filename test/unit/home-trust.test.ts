// The home's checks (docs/security.md) and the files in it that are never reached through a
// link: directory modes, links and parents, the socket's file, state.json and the gzip temp.
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  readState,
  STATE_FORMAT,
  writeState,
  type DaemonState,
} from '../../src/daemon/state-file.js';
import {
  checkHome,
  checkOwnDir,
  checkParents,
  checkSocketFile,
  makeOwnHome,
  UntrustedError,
} from '../../src/effects/files/home-trust.js';
import { gzipFile } from '../../src/logs/rotate.js';

const root = mkdtempSync(join(tmpdir(), 'warden-trust-'));
after(() => rmSync(root, { recursive: true, force: true }));
const me = process.getuid?.() ?? 0;
let n = 0;
const fresh = (): string => join(root, `case-${n++}`);

void describe('the home checks', () => {
  void it('makes a missing home and its logs/ with mode 0700', () => {
    const home = join(fresh(), 'home');
    checkHome(home, join(home, 'logs'), [me]);
    makeOwnHome(home, join(home, 'logs'), me);
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, 'logs')).mode & 0o777, 0o700);
  });

  void it('closes a home of ours that others may read, refuses one they may write', () => {
    const home = fresh();
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    makeOwnHome(home, join(home, 'logs'), me);
    assert.equal(statSync(home).mode & 0o777, 0o700);
    chmodSync(home, 0o770);
    assert.throws(
      () => makeOwnHome(home, join(home, 'logs'), me),
      (e: unknown) =>
        e instanceof UntrustedError &&
        /writable by its group or others \(mode 0770\).*chmod 700 /.test(e.message),
    );
  });

  void it('refuses a home or logs/ that is a symbolic link, even to a directory of ours', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real'), { recursive: true, mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'home'));
    assert.throws(() => checkOwnDir(join(dir, 'home'), [me]), /is a symbolic link \(to .*real/);
    assert.throws(() => makeOwnHome(join(dir, 'home'), join(dir, 'home', 'logs'), me));
    symlinkSync(join(dir, 'real'), join(dir, 'real', 'logs'));
    assert.throws(() => checkHome(join(dir, 'real'), join(dir, 'real', 'logs'), [me]), /logs is/);
  });

  void it('refuses a parent others may write in, unless it is a sticky directory of root', () => {
    const parent = fresh();
    mkdirSync(parent);
    chmodSync(parent, 0o777);
    assert.throws(
      () => checkParents(join(parent, 'home'), [me]),
      /a parent of .*home, is writable by its group or others \(mode 0777\)/,
    );
    chmodSync(parent, 0o1777);
    // Sticky, but only root's sticky directories are safe (their owner could rename entries).
    if (me === 0) checkParents(join(parent, 'home'), [me]);
    else assert.throws(() => checkParents(join(parent, 'home'), [me]));
  });

  void it('checks the parents of a link on the way, and where it leads', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'open'), { recursive: true });
    chmodSync(join(dir, 'open'), 0o777);
    mkdirSync(join(dir, 'open', 'deep'));
    symlinkSync(join(dir, 'open', 'deep'), join(dir, 'via'));
    assert.throws(() => checkParents(join(dir, 'via', 'home'), [me]), /open, a parent/);
  });

  void it("takes the control socket's file only when it is a socket of ours or root's", async () => {
    const dir = fresh();
    mkdirSync(dir);
    const path = join(dir, 'warden.sock');
    assert.equal(checkSocketFile(path, me), false, 'nothing there');
    writeFileSync(path, '');
    assert.throws(() => checkSocketFile(path, me), /is not a socket/);
    rmSync(path);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      assert.equal(checkSocketFile(path, me), true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

void describe('files of the home never reached through a link', () => {
  void it('state.json: a link is not read, and a link at the temp path is not written through', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const path = join(dir, 'state.json');
    symlinkSync(victim, path);
    assert.deepEqual(await readState(path), {
      kind: 'corrupt',
      why: `${path} is a symbolic link, not a regular file`,
    });
    symlinkSync(victim, `${path}.${process.pid}.tmp`);
    const state: DaemonState = {
      format: STATE_FORMAT,
      warden: '0.0.0-test',
      daemonPid: 1,
      savedAt: 0,
      config: null,
      services: [],
    };
    await writeState(path, state);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal((await readState(path)).kind, 'ok', 'written as a file of its own');
  });

  void it('gzip of a rotated log: a link at the temp path is replaced, not written through', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const file = join(dir, 'web.log.1');
    writeFileSync(file, 'a line\n');
    symlinkSync(victim, `${file}.gz.tmp`);
    await gzipFile(file);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    symlinkSync(victim, join(dir, 'web.log.2'));
    await assert.rejects(gzipFile(join(dir, 'web.log.2')), /ELOOP/);
  });
});
