// `include:` and `${VAR}` through the built CLI and a real daemon: `up` runs the services of
// every included file in their own directories, `reload` picks up added and removed files, a
// broken included file changes nothing, and variables come from the daemon's environment.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { isAlive } from '../helpers/procs.js';

const MAIN = `
include: [projects/*/warden.yaml]
services:
  main:
    command: [sleep, "600"]
    min_uptime: 100ms
`;

/** Writes projects/NAME/warden.yaml with one service NAME whose cwd is ./work. */
function writeProject(s: Sandbox, name: string, text?: string): void {
  const dir = join(s.dir, 'projects', name);
  mkdirSync(join(dir, 'work'), { recursive: true });
  const body = `services:\n  ${name}:\n    command: [sleep, "601"]\n    cwd: ./work\n    min_uptime: 100ms\n`;
  writeFileSync(join(dir, 'warden.yaml'), text ?? body);
}

/** Waits until exactly `names` run; returns their pids. */
async function running(s: Sandbox, names: string[]): Promise<Map<string, number>> {
  return waitFor(`${names.join(', ')} running`, async () => {
    const r = await s.status();
    const now = r.instances.map((i) => i.name);
    if (now.join() !== names.join()) return false;
    if (!r.instances.every((i) => i.state === 'running' && i.pid !== null)) return false;
    return new Map(r.instances.map((i) => [i.name, i.pid ?? 0]));
  });
}

void describe('include', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('runs the services of every included file; reload adds and removes files', async () => {
    s = sandbox();
    s.config(MAIN);
    writeProject(s, 'alpha');
    writeProject(s, 'beta');
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const before = await running(s, ['main', 'alpha', 'beta']);
    const alpha = before.get('alpha') ?? 0;
    assert.equal(readlinkSync(`/proc/${alpha}/cwd`), join(s.dir, 'projects/alpha/work'));

    writeProject(s, 'gamma');
    rmSync(join(s.dir, 'projects', 'beta'), { recursive: true });
    const r = await s.warden(['reload']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^warden: added: gamma$/m);
    assert.match(r.stdout, /^warden: removed \(stopped\): beta$/m);
    const after = await running(s, ['main', 'alpha', 'gamma']);
    assert.equal(after.get('main'), before.get('main'), 'main kept its pid');
    assert.equal(after.get('alpha'), alpha, 'alpha kept its pid');
    assert.equal(isAlive(before.get('beta') ?? 0), false, 'beta was stopped');
  });

  void it('a broken included file is reported with its line and changes nothing', async () => {
    s = sandbox();
    s.config(MAIN);
    writeProject(s, 'alpha');
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const before = await running(s, ['main', 'alpha']);
    writeProject(
      s,
      'alpha',
      'services:\n  alpha:\n    command: [sleep, "602"]\n    instances: 0\n',
    );
    writeProject(s, 'beta');
    const file = join(s.dir, 'projects/alpha/warden.yaml');
    const r = await s.warden(['reload']);
    assert.equal(r.code, 2, r.stdout);
    assert.ok(
      r.stderr.includes(`${file}:4:16: services.alpha.instances: must be at least 1, got 0`),
      r.stderr,
    );
    assert.deepEqual(await running(s, ['main', 'alpha']), before, 'nothing changed');
    // A name defined twice across files, at `up` of a second config: both places named.
    writeProject(s, 'alpha');
    writeProject(s, 'beta', 'services:\n  main:\n    command: [sleep, "603"]\n');
    const dup = await s.warden(['reload']);
    assert.equal(dup.code, 2, dup.stdout);
    assert.ok(
      dup.stderr.includes(
        `${join(s.dir, 'projects/beta/warden.yaml')}:2:3: services.main: "main" is defined twice: here and in ${join(s.dir, 'warden.yaml')}:4:3`,
      ),
      dup.stderr,
    );
    assert.deepEqual(await running(s, ['main', 'alpha']), before, 'still nothing changed');
  });
});

void describe('${VAR}', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it("takes the daemon's environment at up and again at reload", async () => {
    s = sandbox();
    s.env.WV_NAP = '604';
    s.config('services:\n  nap:\n    command: [sleep, "${WV_NAP}"]\n    min_uptime: 100ms\n');
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const pid = (await running(s, ['nap'])).get('nap') ?? 0;
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\u0000604\u0000');
    // The daemon re-reads the file with its own environment: the same value, no change.
    delete s.env.WV_NAP;
    const r = await s.warden(['reload']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^warden: no change$/m);
    assert.equal((await running(s, ['nap'])).get('nap'), pid);
    // An `up` from a shell with another value: the daemon's stays, and the CLI is told (no value).
    s.env.WV_NAP = '605';
    const again = await s.warden(['up']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      /^warden: warning: \$\{WV_NAP\} differs between this shell and the daemon's environment, whose value the config takes/m,
    );
    assert.doesNotMatch(again.stderr, /60[45]/);
    assert.equal((await running(s, ['nap'])).get('nap'), pid);
  });

  void it('an unset variable stops up with its line and a hint to $$', async () => {
    s = sandbox();
    s.config('services:\n  nap:\n    command: "sleep ${WV_UNSET_NAP}"\n');
    const up = await s.warden(['up']);
    assert.equal(up.code, 2, up.stdout);
    assert.match(
      up.stderr,
      /warden\.yaml:3:14: services\.nap\.command: variable "WV_UNSET_NAP" is not set .*\$\$\{WV_UNSET_NAP\}/,
    );
  });
});
