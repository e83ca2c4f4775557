// `warden top [SERVICE...]`: a live view of the instances (state, CPU, memory and their recent
// history, restarts, uptime, last log line) from figures the daemon pushes every interval on a
// `subscribe` stream, and state changes as they happen (docs/cli/top.md). Full screen on a
// terminal; a plain table every interval through a pipe, on TERM=dumb, or with --plain.
import { parseDuration } from '../../config/duration.js';
import { FIGURES_MS, figuresOf, type FiguresFrame } from '../../ipc/protocol.js';
import { CliError, connect, homeOf, reportError, type GlobalOptions } from '../context.js';
import { EXIT, print, printError } from '../output.js';
import { LastLines } from '../top/last-lines.js';
import { renderPlain } from '../top/top-render.js';
import { TopModel } from '../top/top-model.js';

/** Options of `top`. */
export interface TopOptions extends GlobalOptions {
  plain?: boolean;
  /** How often the daemon sends figures (a duration; default 1s). */
  interval?: string;
}

/**
 * `warden top`: runs until `q`, Ctrl-C, SIGTERM, or the daemon stops.
 * @returns the exit code: 0, or that of the error (2 a bad `--interval` or an unknown service,
 * 3 no daemon)
 */
export async function top(services: string[], options: TopOptions): Promise<number> {
  // This module is not in the main bundle, whose error classes are others: report them here.
  try {
    return await runTop(services, options);
  } catch (error) {
    return reportError(error);
  }
}

async function runTop(services: string[], options: TopOptions): Promise<number> {
  const intervalMs = intervalOf(options.interval);
  const model = new TopModel();
  const lastLines = new LastLines(homeOf(options).logDir);
  const readLastLines = (): void =>
    lastLines.read(model.services(), (instance, text) => model.setLastLine(instance, text));
  let changed: (isFrame: boolean) => void = () => undefined;
  const client = await connect(options, {
    onEvent: (event) => {
      model.applyEvent(event);
      changed(false);
    },
    onFigures: (frame: FiguresFrame) => {
      model.applyFrame(frame);
      readLastLines();
      changed(true);
    },
  });
  try {
    // Shown at once; the figures then come every interval without being asked for.
    const first = await client.call('status', { targets: services });
    model.applyFrame({ time: Date.now(), instances: first.instances.map(figuresOf) });
    readLastLines();
    await client.call('subscribe', { targets: services, figuresMs: intervalMs });
  } catch (error) {
    client.close();
    throw error;
  }
  if (isPlain(options)) return plain(model, client, (fn) => (changed = fn));
  const { runView } = await import('../top/top-view.js');
  const cli = [process.execPath, ...process.execArgv, process.argv[1] ?? 'warden'];
  if (options.home !== undefined) cli.push('--home', options.home);
  const code = await runView(model, {
    client,
    onChange: (fn) => (changed = fn),
    cli,
  });
  client.close();
  return code;
}

// A terminal that can do no more than print lines, or no terminal.
function isPlain(options: TopOptions): boolean {
  const term = process.env.TERM;
  return (
    options.plain === true ||
    process.stdout.isTTY !== true ||
    process.stdin.isTTY !== true ||
    term === undefined ||
    term === '' ||
    term === 'dumb'
  );
}

// The plain table at each frame, a blank line between two, until SIGINT/SIGTERM or the daemon goes.
function plain(
  model: TopModel,
  client: Awaited<ReturnType<typeof connect>>,
  onChange: (fn: (isFrame: boolean) => void) => void,
): Promise<number> {
  print(renderPlain(model, Date.now()));
  onChange((isFrame) => {
    if (isFrame) print(`\n${renderPlain(model, Date.now())}`);
  });
  return new Promise<number>((resolve) => {
    let isDone = false;
    const end = (): void => {
      isDone = true;
      client.close();
      resolve(EXIT.ok);
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
    client.onClose(() => {
      if (!isDone) printError('the daemon closed the connection (it stopped)');
      resolve(EXIT.ok);
    });
  });
}

// `--interval`: a duration within the protocol's bounds of figuresMs.
function intervalOf(text: string | undefined): number {
  if (text === undefined) return 1000;
  const r = parseDuration(text);
  if (!r.ok) throw new CliError(`--interval: ${r.message}`, EXIT.usage);
  if (r.ms < FIGURES_MS.min || r.ms > FIGURES_MS.max)
    throw new CliError(
      `--interval: ${text} is out of bounds; give ${FIGURES_MS.min}ms to ${FIGURES_MS.max / 1000}s`,
      EXIT.usage,
    );
  return r.ms;
}
