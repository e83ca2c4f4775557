// `warden top` where a terminal can do no more than print lines: through a pipe, and on a
// terminal with TERM=dumb (tmux), a plain table every interval, with no escape codes and no
// alternate screen, until SIGTERM or Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';
import { hasTmux, shellQuote, terminal } from '../helpers/tmux.js';

const CONFIG = `
services:
  web:
    command: [sh, -c, 'echo "web up"; exec sleep 600']
    instances: 2
    min_uptime: 100ms
  worker:
    command: [sh, -c, 'while :; do echo "worker tick"; sleep 1; done']
    min_uptime: 100ms
`;

// Asserts that `table` lists the three instances running, none restarted.
function assertTable(table: string): void {
  assert.match(table, /^NAME\s+STATE\s+PID\s+RESTARTS\s+UPTIME\s+CPU/m);
  for (const name of ['web:0', 'web:1', 'worker'])
    assert.match(table, new RegExp(`^${name}\\s+running\\s+\\d+\\s+0\\s`, 'm'));
}

void describe('warden top, plain', () => {
  let s: Sandbox;
  before(async () => {
    s = sandbox();
    s.config(CONFIG);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
  });
  after(() => s.cleanup());

  void it('prints a plain table every interval through a pipe, and ends on SIGTERM', async () => {
    const child = spawn(WARDEN, ['top', '--interval', '300ms'], {
      env: s.env,
      cwd: s.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        'three tables',
        () => (out.match(/^warden top · 3 instances/gm) ?? []).length >= 3,
      );
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.ok(!out.includes('\u001b'), 'no escape codes');
    assertTable(out.split('\n\n').at(-2) ?? '');
  });

  void it('says what is wrong with exit 2 for an unknown service or a bad interval', async () => {
    const unknown = await s.warden(['top', 'nope']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown service "nope"/);
    const fast = await s.warden(['top', '--interval', '10ms']);
    assert.equal(fast.code, 2, fast.stderr);
    assert.match(fast.stderr, /--interval: 10ms is out of bounds; give 250ms to 60s/);
  });

  void it('prints plain tables on a dumb terminal, and ends on Ctrl-C', async (t) => {
    if (!(await hasTmux())) return t.skip('no tmux');
    const term = await terminal();
    try {
      const line = `${shellQuote(WARDEN)} top --interval 300ms; echo "top exited with $?"`;
      await term.open('top', line, s.dir, { ...s.env, TERM: 'dumb' });
      const tables = await waitFor('three tables', async () => {
        const screen = await term.screen('top');
        return (screen.match(/^warden top · 3 instances/gm) ?? []).length >= 3 ? screen : undefined;
      });
      assert.equal(await term.format('top', '#{alternate_on}'), '0', 'never the alternate screen');
      assertTable(tables.split('\n\n').at(-2) ?? '');
      assert.doesNotMatch(tables, /▁|▂|▃|▄|▅|▆|▇|█|\^\[/, 'no sparkline, no escape shown');
      await term.sendKeys('top', 'C-c');
      await waitFor('the pane done', () => term.isDone('top'));
      assert.match(await term.screen('top'), /top exited with 0/);
    } finally {
      await term.kill();
    }
  });
});
