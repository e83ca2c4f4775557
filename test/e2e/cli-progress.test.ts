// Feedback while waiting: on a terminal, `up --wait`, `stop`, `restart` and `down` print a line
// for each instance as it reaches its state, before the command ends. Piped, they print only
// their summary (the other e2e tests read that output).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';
import { terminal, type Terminal, shellQuote } from '../helpers/tmux.js';

// `stubborn` ignores SIGTERM (the whole tree inherits the ignored disposition), so its stop
// takes stop_timeout and ends with SIGKILL.
const CONFIG = `
services:
  quick:
    command: [sleep, "600"]
    min_uptime: 100ms
  stubborn:
    command: trap '' TERM; while :; do sleep 0.1; done
    min_uptime: 100ms
    stop_timeout: 3s
`;

void describe('progress on a terminal', () => {
  let s: Sandbox;
  let tty: Terminal | undefined;
  afterEach(async () => {
    await tty?.kill();
    tty = undefined;
    await s.cleanup();
  });

  // Runs `warden ARGS` in a new window; the shell prints `EXIT=code` once it ends.
  const open = async (t: Terminal, window: string, args: string): Promise<void> =>
    t.open(window, `${shellQuote(WARDEN)} ${args}; echo EXIT=$?`, s.dir, s.env);
  const ended = (t: Terminal, window: string): Promise<string> =>
    waitFor(`${window} to end`, async () => {
      const screen = await t.screen(window);
      return /EXIT=\d+/.test(screen) && screen;
    });

  void it('shows each instance reaching its state while up --wait, stop, restart and down wait', async () => {
    s = sandbox();
    s.config(CONFIG);
    tty = await terminal();
    const t = tty;

    await open(t, 'up', 'up --wait');
    const up = await ended(t, 'up');
    assert.match(up, /^quick running \d+\.\ds/m, up);
    assert.match(up, /^stubborn running \d+\.\ds/m, up);
    assert.match(up, /EXIT=0/);

    await open(t, 'stop', 'stop quick stubborn');
    // quick stops at once; stubborn holds the command for its 3 s stop_timeout.
    const early = await waitFor('the line of quick', async () => {
      const screen = await t.screen('stop');
      return /^quick stopped \d+\.\ds/m.test(screen) && screen;
    });
    assert.doesNotMatch(early, /stubborn stopped|EXIT=/, 'quick is shown before the stop ends');
    const stop = await ended(t, 'stop');
    assert.match(stop, /^stubborn stopped [3-9]\.\ds \(SIGKILL after stop_timeout\)$/m, stop);
    // Then the summary, as when piped.
    assert.match(stop, /^warden: stubborn stopped \(last exit: SIGKILL\)$/m, stop);
    assert.ok(stop.indexOf('stubborn stopped') < stop.indexOf('warden: stubborn'), stop);
    assert.match(stop, /EXIT=0/);

    const start = await s.warden(['start', 'all']);
    assert.equal(start.code, 0, start.stderr);
    await open(t, 'restart', 'restart quick');
    const restart = await ended(t, 'restart');
    assert.match(restart, /^quick starting \d+\.\ds/m, restart);
    assert.match(restart, /^warden: restarted quick$/m, restart);

    await s.warden(['wait', 'all']);
    await open(t, 'down', 'down');
    const down = await ended(t, 'down');
    assert.match(down, /^quick stopped \d+\.\ds/m, down);
    assert.match(down, /^stubborn stopped [3-9]\.\ds \(SIGKILL after stop_timeout\)$/m, down);
    assert.match(down, /^warden: stopped 2 instance\(s\); daemon \d+ exited$/m, down);
  });

  void it('prints only errors with --quiet; an error ends the command as when piped', async () => {
    s = sandbox();
    s.config(CONFIG.replace('stop_timeout: 3s', 'stop_timeout: 100ms'));
    tty = await terminal();
    await open(tty, 'up', 'up --wait --quiet');
    const up = await ended(tty, 'up');
    await open(tty, 'stop', 'stop --quiet all');
    const stop = await ended(tty, 'stop');
    for (const screen of [up, stop]) assert.equal(screen.trim(), 'EXIT=0');
    // The subscription is refused as the command would be; it must not keep the CLI alive.
    await open(tty, 'unknown', 'stop nope');
    const unknown = await ended(tty, 'unknown');
    assert.match(unknown, /^warden: unknown service "nope" \(known: quick, stubborn\)$/m, unknown);
    assert.match(unknown, /^EXIT=2$/m);
  });
});
