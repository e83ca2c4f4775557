// The `warden` command line: parses argv with commander and hands each verb to its module,
// loaded only when that verb runs so the CLI starts fast.
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { reportError, type GlobalOptions } from './context.js';
import { EXIT } from './output.js';

type Action = (...args: never[]) => Promise<number> | number;

function program(): Command {
  const cli = new Command('warden')
    .description(
      'A process supervisor: starts services, keeps them running, stops them completely.',
    )
    .version(VERSION, '-V, --version')
    .addOption(
      new Option(
        '--home <dir>',
        'the daemon to talk to (default $WARDEN_HOME, else /var/lib/warden for root, ~/.local/state/warden for others)',
      ),
    )
    .addOption(
      new Option(
        '--timeout <duration>',
        'give up when the daemon answers nothing for this long (default 10s; for up --wait and wait, their own limit)',
      ),
    )
    .showHelpAfterError('(run "warden --help" for usage)')
    .exitOverride();
  // A verb's own `--timeout` (up, wait) shadows the program's in optsWithGlobals: keep both.
  const globals = (cmd: Command): GlobalOptions => ({
    ...cmd.optsWithGlobals(),
    answerTimeout: cli.opts<{ timeout?: string }>().timeout,
  });
  const verb = (name: string, describe: string): Command =>
    cli.command(name).description(describe).exitOverride();
  const file = new Option('-f, --file <file>', 'config file').default('warden.yaml');
  const quiet = new Option('-q, --quiet', 'print nothing but errors (no progress, no summary)');
  const portBase = new Option(
    '--port-base <port>',
    'a Procfile: PORT=port for its first process type, +100 for each next one (as foreman)',
  );

  const run =
    (load: () => Promise<Action>, ...pick: ((a: unknown[], cmd: Command) => unknown)[]) =>
    async (...raw: unknown[]): Promise<void> => {
      const cmd = raw.at(-1) as Command;
      const action = await load();
      const args = pick.map((p) => p(raw, cmd)) as never[];
      process.exitCode = await action(...args);
    };
  const rest = (i: number) => (a: unknown[]) => a[i] as string[];
  const first = (a: unknown[]) => a[0];
  const opts = (_a: unknown[], cmd: Command) => globals(cmd);

  verb('up', 'start the daemon if needed, then the services (all, or those named)')
    .argument('[service...]')
    .addOption(file)
    .addOption(portBase)
    .option('--wait', 'return only once the services are running')
    .addOption(quiet)
    .option(
      '--timeout <duration>',
      'with --wait: give up waiting after this long (default 60s); without: as the global --timeout',
    )
    .action(run(async () => (await import('./commands/lifecycle.js')).up, rest(0), opts));
  verb('down', 'stop every service, then the daemon')
    .option('--keep-services', 'only the daemon exits; the next "up" takes the services back')
    .addOption(quiet)
    .action(run(async () => (await import('./commands/lifecycle.js')).down, opts));
  verb('run', 'the supervisor in the foreground (containers, PID 1, under systemd)')
    .addOption(file)
    .addOption(portBase)
    .option('--exit-on-failure', 'the first instance to reach failed stops everything; exit 1')
    .action(run(async () => (await import('./commands/lifecycle.js')).run, opts));
  verb('status', 'show every instance: state, pid, uptime, restarts, last exit')
    .argument('[service...]')
    .option('--json', 'the stable JSON shape (README "Status JSON")')
    .action(run(async () => (await import('./commands/status.js')).status, rest(0), opts));
  verb('events', 'stream state changes as NDJSON until Ctrl-C')
    .argument('[service...]')
    .action(run(async () => (await import('./commands/events.js')).events, rest(0), opts));
  // Kept out of the main bundle (scripts/bundle.ts): loaded from its own files only for top.
  verb('top', 'a live view of the instances: state, CPU, memory, restarts, last log line')
    .argument('[service...]')
    .option('--plain', 'a plain table every interval, no full screen (also off a terminal)')
    .option('--interval <duration>', 'how often the figures refresh (250ms to 60s)', '1s')
    .action(run(async () => (await import('./commands/top.js')).top, rest(0), opts));
  verb('ps', 'show the process tree of each instance (pid, RSS, command)')
    .argument('[service...]')
    .option('--json', 'as JSON')
    .action(run(async () => (await import('./commands/ps.js')).ps, rest(0), opts));
  for (const [name, describe] of [
    ['start', 'start services (names, instance names like web:1, or all)'],
    ['stop', 'stop services; returns once their process trees are gone'],
    ['restart', 'stop, then start services'],
  ] as const) {
    const cmd = verb(name, describe).argument('[service...]');
    if (name === 'restart')
      cmd.option('--rolling', 'one instance at a time while an extra one serves (one service)');
    if (name !== 'start') cmd.addOption(quiet);
    cmd.action(run(async () => (await import('./commands/control.js'))[name], rest(0), opts));
  }
  verb('signal', 'send a signal to every process of the trees of services')
    .argument('<signal>', 'a name (SIGHUP, HUP) or number')
    .argument('[service...]')
    .action(run(async () => (await import('./commands/control.js')).signal, first, rest(1), opts));
  verb('logs', 'show service logs, merged in time order')
    .argument('[service...]')
    .option('-n, --lines <n>', 'how many lines', '50')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C, across rotations')
    .option('--since <when>', 'only lines since a duration ago (10m) or a date')
    .option('--grep <regex>', 'only lines whose text matches')
    .option('--stderr', 'only stderr lines')
    .option('--reopen', 'make the daemon reopen its log files (after an external logrotate)')
    .action(run(async () => (await import('./commands/logs.js')).logs, rest(0), opts));
  verb('reload', 're-read the config and apply only the difference; an invalid one changes nothing')
    .option('--dry-run', 'print what would change, change nothing')
    .action(run(async () => (await import('./commands/control.js')).reload, opts));
  verb('wait', 'wait until services are running; exit 1 if they fail or time out')
    .argument('<service...>')
    .option('--timeout <duration>', 'give up after this long', '60s')
    .action(run(async () => (await import('./commands/control.js')).wait, rest(0), opts));
  const startup = (name: 'startup' | 'remove') => async () =>
    (await import('./commands/startup.js'))[name];
  const user = ['--user', "the user's own systemd (systemctl --user), not the system's"] as const;
  verb('startup', 'write and enable a systemd unit that runs "warden run -f FILE" at boot')
    .addOption(file)
    .option(...user)
    .option('--print', 'print the unit; change nothing')
    .action(run(startup('startup'), opts))
    .command('remove')
    .description('disable the unit and remove it')
    .option(...user)
    .exitOverride()
    .action(run(startup('remove'), opts));
  const exporter = verb('export', 'write the config in another format');
  exporter
    .command('systemd')
    .description('one systemd unit per service; keys without an equivalent are listed on stderr')
    .addOption(file)
    .option('--dir <dir>', 'write the units there (default: print them)')
    .option(...user)
    .option('--prefix <name>', 'prepended to each unit name, e.g. "app-"', '')
    .exitOverride()
    .action(run(async () => (await import('./commands/export.js')).exportSystemd, opts));
  exporter
    .command('kubernetes')
    .description('a Deployment per service; keys without an equivalent are listed on stderr')
    .addOption(file)
    .option('--dir <dir>', 'write NAME.yaml files there (default: print the documents)')
    .option('--image <image>', 'the container image of every Deployment')
    .option('--prefix <name>', 'prepended to each object name', '')
    .exitOverride()
    .action(run(async () => (await import('./commands/export.js')).exportKubernetes, opts));
  // Kept out of the main bundle (scripts/bundle.ts): loaded from its own files only for import.
  verb(
    'import',
    'print a warden.yaml made from a pm2, procfile, supervisord or process-compose config',
  )
    .argument('<format>', 'pm2, procfile, supervisord or process-compose')
    .argument('[file]', 'the config to read (pm2: ecosystem.config.js, .cjs, .mjs, .json, .yaml)')
    .option('-o, --output <file>', 'write the YAML to this file instead of stdout')
    .option('--force', 'with -o: replace the file if it exists')
    .option('--env <name>', 'pm2: apply the env_NAME block of each app over env')
    .option(
      '--running',
      'pm2: read the running PM2\'s process list ("pm2 jlist") instead of a file',
    )
    .option(
      '--port-base <port>',
      'procfile: PORT=port for the first process type, +100 for each next one',
    )
    .action(
      run(
        async () => (await import('./commands/import.js')).importCommand,
        first,
        (a) => a[1],
        opts,
      ),
    );
  verb('schema', 'print the JSON Schema of warden.yaml').action(
    run(async () => (await import('./commands/schema.js')).schema),
  );
  return cli;
}

/** Runs the CLI on `argv` (process.argv form). Sets process.exitCode; never throws. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help';
      process.exitCode = ok ? EXIT.ok : EXIT.usage;
      return;
    }
    process.exitCode = reportError(error);
  }
}
