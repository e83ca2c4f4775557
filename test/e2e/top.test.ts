// `warden top` on a real terminal (tmux): the instances with their figures, a restart followed
// without a key pressed, the sort keys, the stop, start and restart keys, the logs key, a
// resize, and the terminal restored on `q` and on Ctrl-C. The plain table: top-plain.test.ts.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';
import { hasTmux, shellQuote, terminal, type Terminal } from '../helpers/tmux.js';

// `busy` leads by CPU, `hog` (64 MiB written) by memory; by name `busy` comes first.
const CONFIG = `
services:
  web:
    command: [sh, -c, 'echo "web up"; exec sleep 600']
    instances: 2
    min_uptime: 100ms
  worker:
    command: [sh, -c, 'while :; do echo "worker tick"; sleep 1; done']
    min_uptime: 100ms
  busy:
    command: [sh, -c, 'while :; do :; done']
    min_uptime: 100ms
  hog:
    command: [${JSON.stringify(process.execPath)}, -e, 'globalThis.b = Buffer.alloc(64 << 20, 1); setInterval(() => {}, 1e6)']
    min_uptime: 100ms
`;
const NAMES = ['busy', 'hog', 'web:0', 'web:1', 'worker'];

// The row of `name` on `screen` as its cells (the selection mark dropped).
function rowOf(screen: string, name: string): string[] | undefined {
  const line = screen.split('\n').find((l) => l.slice(2).startsWith(`${name} `));
  return line?.slice(2).trim().split(/\s+/);
}

// The instances' names in the order the screen lists them.
function namesOn(screen: string): string[] {
  const lines = screen.split('\n');
  const header = lines.findIndex((l) => /^ {2}NAME\s+STATE/.test(l));
  return lines
    .slice(header + 1)
    .map((l) => l.slice(2).split(' ')[0] ?? '')
    .filter((name) => NAMES.includes(name));
}

void describe('warden top', () => {
  let s: Sandbox;
  let tty: Terminal | undefined;
  before(async () => {
    s = sandbox();
    s.config(CONFIG);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
  });
  after(() => s.cleanup());
  afterEach(async () => {
    await tty?.kill();
    tty = undefined;
  });

  // Opens `warden top` on a new terminal; the shell then prints its exit code and `stty -a`, and
  // stays (tmux's cursor flag of a dead pane is not to be trusted).
  async function openTop(t: { skip: (why: string) => void }): Promise<Terminal | undefined> {
    if (!(await hasTmux())) return void t.skip('no tmux');
    tty = await terminal();
    const line = `${shellQuote(WARDEN)} top; echo "top exited with $?"; stty -a; echo "end"; exec sleep 600`;
    await tty.open('top', line, s.dir, { ...s.env, TERM: 'xterm-256color' });
    return tty;
  }

  // The screen once `probe` holds for it; the screen in the error when it never does.
  const screenWith = (
    term: Terminal,
    what: string,
    probe: (screen: string) => boolean,
  ): Promise<string> =>
    waitFor(
      what,
      async () => {
        const screen = await term.visible('top');
        return probe(screen) ? screen : undefined;
      },
      15_000,
      100,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; the screen:\n${await term.visible('top')}`);
    });

  // After top ended: its exit code, the main screen back, the cursor shown, line mode and echo on.
  async function assertRestored(term: Terminal): Promise<string> {
    const end = await waitFor('the shell after top', async () => {
      const screen = await term.screen('top');
      return /^end$/m.test(screen) ? screen : undefined;
    });
    assert.match(end, /top exited with 0/);
    assert.equal(await term.format('top', '#{alternate_on}'), '0', 'back on the main screen');
    assert.equal(await term.format('top', '#{cursor_flag}'), '1', 'cursor shown');
    assert.match(end, /(^|\s)icanon(\s|$)/m);
    assert.match(end, /(^|\s)echo(\s|$)/m);
    assert.doesNotMatch(end, /NAME\s+STATE/, 'the main screen holds no frame of top');
    return end;
  }

  const pidOf = async (name: string): Promise<number | null> =>
    (await s.status()).instances.find((i) => i.name === name)?.pid ?? null;

  void it('shows the instances live, sorts, acts on keys, follows logs, restores the terminal on q', async (t) => {
    const term = await openTop(t);
    if (term === undefined) return;
    const first = await screenWith(
      term,
      'the instances, busy first by CPU',
      (screen) =>
        NAMES.every((n) => rowOf(screen, n)?.[1] === 'running') && namesOn(screen)[0] === 'busy',
    );
    assert.match(
      first,
      /^ {2}NAME\s+STATE\s+PID\s+RESTARTS\s+UPTIME\s+CPU↓.*MEM\s.*LAST LOG LINE/m,
    );
    assert.match(first, /^warden top · 5 instances, 5 running · sort: cpu/m);
    assert.equal(await term.format('top', '#{alternate_on}'), '1', 'on the alternate screen');
    const web1 = await pidOf('web:1');
    assert.equal(rowOf(first, 'web:1')?.[2], String(web1));
    await screenWith(
      term,
      'the last log lines',
      (screen) => /web up\s*$/m.test(screen) && /worker tick\s*$/m.test(screen),
    );

    // The daemon restarts a killed instance: the screen follows without a key pressed.
    process.kill(web1 ?? 0, 'SIGKILL');
    const restarted = await screenWith(term, 'web:1 restarted once', (screen) => {
      const row = rowOf(screen, 'web:1');
      return row?.[1] === 'running' && row[3] === '1' && row[2] !== String(web1);
    });
    assert.equal(rowOf(restarted, 'web:1')?.[2], String(await pidOf('web:1')));

    // Sort keys: m by memory, n by name, c by CPU again.
    await term.sendKeys('top', 'm');
    await screenWith(
      term,
      'hog first by memory',
      (screen) => namesOn(screen)[0] === 'hog' && /sort: mem/.test(screen) && /MEM↓/.test(screen),
    );
    await term.sendKeys('top', 'n');
    await screenWith(term, 'sorted by name', (screen) => namesOn(screen).join() === NAMES.join());
    await term.sendKeys('top', 'c');
    await screenWith(
      term,
      'busy first by CPU again',
      (screen) => /sort: cpu/.test(screen) && namesOn(screen)[0] === 'busy',
    );
    assert.equal((await s.warden(['stop', 'busy'])).code, 0, 'its core back to the others');

    // By name, the last row is worker: `s` stops it, `u` starts it again.
    await term.sendKeys('top', 'n', 'End');
    await screenWith(term, 'worker selected', (screen) => /^> worker /m.test(screen));
    const worker = await pidOf('worker');
    await term.sendKeys('top', 's');
    await screenWith(
      term,
      'worker stopped',
      (screen) => rowOf(screen, 'worker')?.[1] === 'stopped',
    );
    assert.equal((await s.status()).instances.find((i) => i.name === 'worker')?.state, 'stopped');
    await term.sendKeys('top', 'u');
    const started = await screenWith(term, 'worker started', (screen) => {
      const row = rowOf(screen, 'worker');
      return row?.[1] === 'running' && row[2] !== String(worker);
    });
    assert.equal(rowOf(started, 'worker')?.[2], String(await pidOf('worker')));

    // Home, down twice, down and up: web:0; `r` restarts it.
    await term.sendKeys('top', 'Home', 'j', 'Down', 'Down', 'k');
    await screenWith(term, 'web:0 selected', (screen) => /^> web:0 /m.test(screen));
    const web0 = await pidOf('web:0');
    await term.sendKeys('top', 'r');
    const next = await waitFor('a new pid for web:0', async () => {
      const now = (await s.status()).instances.find((i) => i.name === 'web:0');
      return now?.state === 'running' && now.pid !== web0 ? now.pid : undefined;
    });
    await screenWith(
      term,
      'the new pid of web:0 shown',
      (screen) => rowOf(screen, 'web:0')?.[2] === String(next),
    );

    // `l`: the logs of web:0 on the main screen; Ctrl-C comes back to top.
    await term.sendKeys('top', 'l');
    await screenWith(
      term,
      'the logs of web:0',
      (screen) => /the logs of web:0/.test(screen) && / web:0 out \| web up/.test(screen),
    );
    assert.equal(await term.format('top', '#{alternate_on}'), '0');
    await term.sendKeys('top', 'C-c');
    await screenWith(term, 'top again', (screen) => /^> web:0 /m.test(screen));
    assert.equal(await term.format('top', '#{alternate_on}'), '1');

    // A smaller terminal: everything redrawn to fit, the keys on its last line.
    await term.resize('top', 80, 12);
    const small = await screenWith(term, 'a redraw to 80x12', (screen) => {
      const lines = screen.split('\n');
      return (
        lines.length === 12 &&
        /q quit|…$/.test(lines[11] ?? '') &&
        lines.every((l) => [...l].length <= 80)
      );
    });
    assert.ok(rowOf(small, 'worker') !== undefined, small);

    await term.sendKeys('top', 'q');
    await assertRestored(term);
  });

  void it('ends on Ctrl-C and restores the terminal', async (t) => {
    const term = await openTop(t);
    if (term === undefined) return;
    await screenWith(term, 'the instances', (screen) => rowOf(screen, 'web:0')?.[1] === 'running');
    assert.equal(await term.format('top', '#{alternate_on}'), '1');
    await term.sendKeys('top', 'C-c');
    await assertRestored(term);
  });

  void it('ends when its terminal hangs up', async (t) => {
    if (!(await hasTmux())) return t.skip('no tmux');
    const term = (tty = await terminal());
    await term.open('top', `exec ${shellQuote(WARDEN)} top`, s.dir, {
      ...s.env,
      TERM: 'xterm-256color',
    });
    await screenWith(term, 'the instances', (screen) => rowOf(screen, 'web:0')?.[1] === 'running');
    const pid = Number(await term.format('top', '#{pane_pid}'));
    assert.ok(isAlive(pid), `top runs as pid ${pid}`);
    await term.close('top');
    await waitFor(`top (pid ${pid}) gone after SIGHUP`, () => !isAlive(pid));
  });

  // Last: the daemon goes.
  void it('ends and restores the terminal when the daemon stops', async (t) => {
    const term = await openTop(t);
    if (term === undefined) return;
    await screenWith(term, 'the instances', (screen) => rowOf(screen, 'web:0')?.[1] === 'running');
    assert.equal((await s.warden(['down'])).code, 0);
    const end = await assertRestored(term);
    assert.match(end, /the daemon closed the connection \(it stopped\)/);
  });
});

// True while `pid` exists (a zombie too: its parent, the tmux server, reaps it).
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
