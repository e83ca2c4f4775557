// A real terminal for end-to-end tests: a tmux server of the test's own (`tmux -L NAME`, never
// the user's), whose windows run commands on a pseudo-terminal that is their controlling
// terminal. Closing a window hangs that terminal up, as closing a terminal emulator does.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

/** A tmux server started for one test. */
export interface Terminal {
  /** The socket name (`tmux -L`). */
  name: string;
  /**
   * Opens window `window` running `command` (a shell command line) in `cwd` with `env`, on a
   * terminal of 200 columns. The window stays after the command ends, so its last screen can be
   * read.
   */
  open(window: string, command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void>;
  /** The text on the window's screen and in its history (trailing blank lines dropped). */
  screen(window: string): Promise<string>;
  /** The text on the window's screen only (the alternate screen while a program shows it). */
  visible(window: string): Promise<string>;
  /** Types `keys` in `window` (tmux key names: `j`, `Up`, `C-c`, `Enter`). */
  sendKeys(window: string, ...keys: string[]): Promise<void>;
  /** Resizes `window` to `columns` x `rows` (its program gets SIGWINCH). */
  resize(window: string, columns: number, rows: number): Promise<void>;
  /** A tmux format of the window's pane, e.g. `#{alternate_on}`, `#{cursor_flag}`. */
  format(window: string, format: string): Promise<string>;
  /** True once the command of `window` has ended. */
  isDone(window: string): Promise<boolean>;
  /** Closes `window`: its terminal is hung up (the kernel sends SIGHUP to its session). */
  close(window: string): Promise<void>;
  /** Kills the server and every window left (call in the test's cleanup). */
  kill(): Promise<void>;
}

/** True when a `tmux` executable runs here. */
export async function hasTmux(): Promise<boolean> {
  try {
    await tmux(['-V'], {});
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a tmux server of its own, with the test's environment minus TMUX (so that a test run
 * inside tmux does not talk to the user's server). The server itself gets no variable of a
 * window's `env` (such as WARDEN_HOME): it is no process of a home.
 */
export async function terminal(): Promise<Terminal> {
  const name = `warden-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const serverEnv: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete serverEnv.TMUX;
  const run = (args: string[]): Promise<string> =>
    tmux(['-L', name, '-f', '/dev/null', ...args], serverEnv);
  // A first window that waits for ever keeps the server up; the options then hold for every
  // window opened after it (set before any test command can end).
  await run(['new-session', '-d', '-s', 'test', '-n', 'idle', '-x', '200', '-y', '50', 'exec cat']);
  await run(['set-option', '-g', 'remain-on-exit', 'on']);
  await run(['set-option', '-g', 'history-limit', '10000']);
  return {
    name,
    async open(window, command, cwd, env) {
      const vars = Object.entries(env).flatMap(([key, value]) =>
        value === undefined || serverEnv[key] === value ? [] : ['-e', `${key}=${value}`],
      );
      await run(['new-window', '-d', '-t', 'test', '-n', window, '-c', cwd, ...vars, command]);
    },
    async screen(window) {
      const text = await run(['capture-pane', '-p', '-J', '-S', '-', '-t', `test:${window}`]);
      // remain-on-exit adds a line of its own once the command ended.
      return text.replace(/^Pane is dead \(.*$/m, '').trimEnd();
    },
    async visible(window) {
      return (await run(['capture-pane', '-p', '-t', `test:${window}`])).trimEnd();
    },
    async sendKeys(window, ...keys) {
      await run(['send-keys', '-t', `test:${window}`, ...keys]);
    },
    async resize(window, columns, rows) {
      await run([
        'resize-window',
        '-t',
        `test:${window}`,
        '-x',
        String(columns),
        '-y',
        String(rows),
      ]);
    },
    async format(window, format) {
      return (await run(['display-message', '-p', '-t', `test:${window}`, format])).trim();
    },
    async isDone(window) {
      return (
        (await run(['display-message', '-p', '-t', `test:${window}`, '#{pane_dead}'])).trim() ===
        '1'
      );
    },
    async close(window) {
      await run(['kill-window', '-t', `test:${window}`]);
    },
    async kill() {
      await run(['kill-server']).catch(() => undefined);
      // A killed server may leave its socket file behind.
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, name), {
        force: true,
      });
    },
  };
}

function tmux(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', args, { env, timeout: 10_000 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`tmux ${args.join(' ')}: ${stderr || error.message}`));
    });
  });
}

/** `s` quoted for a POSIX shell command line (a window's command). */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}
