// `warden startup`: the systemd units it prints (system and --user) pass `systemd-analyze
// verify`, carry what warden needs under systemd (Type=notify, SIGHUP reload, Delegate=yes, a
// stop timeout that fits the services', absolute paths), and where no systemd runs (as here)
// the unit is written, the CLI says so, and `startup remove` takes it away.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { runProcess, sandbox, WARDEN, type Sandbox } from '../helpers/cli.js';

const ANALYZE = '/usr/bin/systemd-analyze';
const SYSTEM_UNIT = '/etc/systemd/system/warden.service';
const CONFIG = `
services:
  web:
    command: [sleep, "600"]
    stop_timeout: 45s
  worker:
    command: [sleep, "600"]
`;

/** Whether a systemd answers systemctl here (`is-system-running` prints offline when none). */
function systemdRuns(): boolean {
  try {
    return (
      execFileSync('systemctl', ['is-system-running'], { encoding: 'utf8' }).trim() !== 'offline'
    );
  } catch (error) {
    return (error as { stdout?: string }).stdout?.trim() !== 'offline';
  }
}

void describe('warden startup', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  async function verify(unit: string, user: boolean): Promise<void> {
    const dir = join(s.dir, user ? 'user' : 'system');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'warden.service');
    writeFileSync(path, unit);
    const args = [...(user ? ['--user'] : []), 'verify', path];
    // The user manager wants a runtime directory, which no login made here: a private one.
    const runtime = join(s.dir, 'runtime');
    mkdirSync(runtime, { mode: 0o700, recursive: true });
    const env = { ...process.env, SYSTEMD_LOG_LEVEL: 'info', XDG_RUNTIME_DIR: runtime };
    const r = await runProcess(ANALYZE, args, { env });
    assert.equal(r.code, 0, `systemd-analyze ${args.join(' ')}:\n${r.stderr}${r.stdout}\n${unit}`);
    assert.equal(r.stderr.trim(), '', `verify is silent on a good unit:\n${r.stderr}\n${unit}`);
  }

  for (const user of [false, true]) {
    void it(
      `--print${user ? ' --user' : ''}: a unit that passes systemd-analyze verify`,
      { skip: !existsSync(ANALYZE) },
      async () => {
        s = sandbox();
        const config = s.config(CONFIG);
        const hadUnit = existsSync(SYSTEM_UNIT);
        const r = await s.warden(['startup', ...(user ? ['--user'] : []), '--print']);
        assert.equal(existsSync(SYSTEM_UNIT), hadUnit, '--print writes nothing');
        assert.equal(r.code, 0, r.stderr);
        const unit = r.stdout;
        const line = (key: string): string[] =>
          unit
            .split('\n')
            .filter((l) => l.startsWith(`${key}=`))
            .map((l) => l.slice(key.length + 1));
        assert.deepEqual(line('Type'), ['notify']);
        assert.deepEqual(line('NotifyAccess'), ['main']);
        assert.deepEqual(line('ExecReload'), ['/bin/kill -HUP $MAINPID']);
        assert.deepEqual(line('Delegate'), ['yes']);
        assert.deepEqual(line('Restart'), ['on-failure']);
        assert.deepEqual(line('KillMode'), ['mixed']);
        // The longest stop_timeout (45s), SIGKILL's 5s, and a margin.
        assert.deepEqual(line('TimeoutStopSec'), ['60s']);
        assert.deepEqual(line('ExecStart'), [
          `${process.execPath} ${WARDEN} --home ${s.home} run -f ${config}`,
        ]);
        assert.deepEqual(line('WantedBy'), [user ? 'default.target' : 'multi-user.target']);
        await verify(unit, user);
      },
    );
  }

  void it(
    'quotes what systemd would misread: spaces, % and $ in paths',
    { skip: !existsSync(ANALYZE) },
    async () => {
      s = sandbox();
      const dir = join(s.dir, 'my app %i $X');
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'warden.yaml');
      writeFileSync(config, CONFIG);
      const r = await s.warden(['startup', '--print', '-f', config]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ExecStart=.* run -f "[^"]*my app %%i \$\$X\/warden\.yaml"$/m);
      await verify(r.stdout, false);
    },
  );

  void it('an invalid config is refused with its error, and nothing is written', async () => {
    s = sandbox();
    s.config('services:\n  web:\n    comand: [sleep, "1"]\n');
    const r = await s.warden(['startup', '--print']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /services\.web\.comand/);
  });

  const why =
    process.getuid?.() !== 0
      ? 'writes /etc/systemd/system: runs only as root'
      : systemdRuns()
        ? 'a systemd runs here: the test would enable a real unit'
        : existsSync(SYSTEM_UNIT)
          ? `${SYSTEM_UNIT} exists already`
          : false;
  void it(
    'without a running systemd: writes the unit, says so (exit 1); remove takes it away',
    { skip: why },
    async () => {
      s = sandbox();
      s.config(CONFIG);
      try {
        const r = await s.warden(['startup']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /systemctl cannot reach a running systemd/);
        assert.match(r.stderr, new RegExp(`${SYSTEM_UNIT} is written`));
        assert.ok(existsSync(SYSTEM_UNIT));
        const removed = await s.warden(['startup', 'remove']);
        assert.equal(removed.code, 0, removed.stderr);
        assert.equal(existsSync(SYSTEM_UNIT), false);
      } finally {
        rmSync(SYSTEM_UNIT, { force: true });
      }
    },
  );
});
