// The interactive `warden top`: redraws on every frame, event, key and resize; keys select,
// sort, act on the selected instance through the control protocol, and follow its logs.
import { spawn, type ChildProcess } from 'node:child_process';
import type { ControlClient } from '../../ipc/client.js';
import { hasColour, printError } from '../output.js';
import { decodeKeys, type Key, Screen } from './terminal.js';
import { renderScreen } from './top-render.js';
import type { SortKey, TopModel } from './top-model.js';

/** How long the answer to an action stays on the last line (ms). */
const MESSAGE_MS = 5000;

/** What the view needs besides the model. */
export interface ViewContext {
  client: ControlClient;
  /** Called once the model changed (frame or event); set by the view. */
  onChange: (fn: () => void) => void;
  /** `warden [--home DIR]`: the command line of the CLI itself, for `logs -f`. */
  cli: string[];
}

const SORTS: Record<string, SortKey> = { c: 'cpu', m: 'mem', n: 'name' };
const ACTIONS: Record<
  string,
  { method: 'restart' | 'stop' | 'start'; doing: string; done: string }
> = {
  r: { method: 'restart', doing: 'restarting', done: 'restarted' },
  s: { method: 'stop', doing: 'stopping', done: 'stopped' },
  u: { method: 'start', doing: 'starting', done: 'started' },
};

/**
 * Runs the view on the process's terminal until `q`, Ctrl-C, SIGINT, SIGTERM, SIGHUP or the
 * daemon closing the connection; the terminal is restored in every case.
 * @returns the exit code (0)
 */
export function runView(model: TopModel, ctx: ViewContext): Promise<number> {
  const screen = new Screen(process.stdin, process.stdout);
  const isColour = hasColour();
  let message: string | undefined;
  let messageTimer: NodeJS.Timeout | undefined;
  let isPending = false;
  let isInLogs = false;
  const draw = (): void => {
    isPending = false;
    if (isInLogs) return;
    const { width, height } = screen.size;
    screen.draw(renderScreen(model, { width, height, now: Date.now(), message, isColour }));
  };
  // Several changes in one turn (a burst of events) make one redraw.
  const redraw = (): void => {
    if (isPending) return;
    isPending = true;
    setImmediate(draw);
  };
  const say = (text: string): void => {
    message = text;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => ((message = undefined), redraw()), MESSAGE_MS);
    messageTimer.unref();
    redraw();
  };
  const act = (key: string): void => {
    const action = ACTIONS[key];
    const name = model.selected;
    if (action === undefined || name === undefined) return;
    say(`${action.doing} ${name}…`);
    ctx.client.call(action.method, { targets: [name] }).then(
      () => say(`${action.done} ${name}`),
      (error: unknown) =>
        say(`${action.method} ${name}: ${error instanceof Error ? error.message : String(error)}`),
    );
  };

  return new Promise<number>((resolve) => {
    let isDone = false;
    let logs: ChildProcess | undefined;
    const quit = (): void => {
      if (isDone) return;
      isDone = true;
      // Ended while the logs run (SIGTERM, SIGHUP): they end too.
      logs?.kill('SIGTERM');
      clearTimeout(messageTimer);
      process.stdin.off('data', onData);
      process.stdout.off('resize', redraw);
      for (const [signal, fn] of handlers) process.off(signal, fn);
      screen.leave();
      resolve(0);
    };
    // `l`: the logs of the selected instance on the main screen, until Ctrl-C; then back here.
    const followLogs = (): void => {
      const name = model.selected;
      if (name === undefined) return;
      isInLogs = true;
      screen.leave();
      process.stdout.write(`warden top: the logs of ${name}; Ctrl-C to come back\n`);
      process.stdin.off('data', onData);
      const lines = Math.max(1, screen.size.height - 2);
      const [node = process.execPath, ...args] = ctx.cli;
      const child = spawn(node, [...args, 'logs', '-f', '-n', String(lines), name], {
        stdio: 'inherit',
      });
      logs = child;
      // Ctrl-C reaches both (one foreground process group): it ends the logs, not top.
      const back = (): void => {
        logs = undefined;
        isInLogs = false;
        if (isDone) return;
        screen.enter();
        process.stdin.on('data', onData);
        redraw();
      };
      child.once('error', (error) => (say(`logs: ${error.message}`), back()));
      child.once('exit', back);
    };
    const onKey = (key: Key): void => {
      if (key === 'q' || key === 'interrupt') return quit();
      const sort = SORTS[key];
      if (sort !== undefined) model.sort = sort;
      else if (key === 'up' || key === 'k') model.move(-1);
      else if (key === 'down' || key === 'j') model.move(1);
      else if (key === 'pageup') model.move(-(screen.size.height - 3));
      else if (key === 'pagedown') model.move(screen.size.height - 3);
      else if (key === 'home') model.move(-Infinity);
      else if (key === 'end') model.move(Infinity);
      else if (key === 'l') return followLogs();
      else act(key);
      redraw();
    };
    const onData = (data: Buffer): void => {
      for (const key of decodeKeys(data.toString('utf8'))) onKey(key);
    };
    // While the logs run, SIGINT is theirs: top stays (a listener keeps Node from exiting).
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map(
      (signal) => [signal, () => (signal === 'SIGINT' && isInLogs ? undefined : quit())] as const,
    );
    screen.enter();
    process.stdin.on('data', onData);
    process.stdout.on('resize', redraw);
    for (const [signal, fn] of handlers) process.on(signal, fn);
    ctx.onChange(redraw);
    ctx.client.onClose(() => {
      if (isDone) return;
      quit();
      printError('the daemon closed the connection (it stopped)');
    });
    draw();
  });
}
