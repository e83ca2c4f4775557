// `warden import supervisord FILE`: the [program:x] sections of a supervisord.conf (and of the
// files it includes) as warden services; groups, event listeners and supervisord's own sections
// get notes.
import { dirname, resolve } from 'node:path';
import {
  cwdFor,
  durationOf,
  ImportError,
  keyValue,
  NoteBook,
  serviceNameOf,
  type Imported,
  type ImportedService,
} from './model.js';
import { readSupervisordConfig, type IniSection } from './supervisord-ini.js';
import { expand, parseEnvironment, processNumShell, shellVariable } from './supervisord-expand.js';

/** Options of {@link importSupervisord}. */
export interface SupervisordOptions {
  /** The directory of the warden.yaml written. */
  outDir: string;
}

const TRUE = /^(true|yes|on|1)$/i;
const FALSE = /^(false|no|off|0)$/i;
const LOG_KEY =
  /^(redirect_stderr|std(out|err)_(logfile.*|capture_maxbytes|events_enabled|syslog))$/;

// One [program:x] section as a service (its notes go into `notes`).
function translateProgram(
  section: IniSection,
  group: string | undefined,
  notes: NoteBook,
): ImportedService {
  const program = section.name.slice('program:'.length);
  const name = serviceNameOf(program, 'program');
  const v = section.values;
  const at = (key: string) => section.keyLines[key] ?? section.line;
  const where = (key: string) => `${section.file}:${at(key)}`;
  const book = new NoteBook(section.file);
  const note = (key: string, action: string, why: string) =>
    book.add({ line: at(key), service: name, key: keyValue(key, v[key]), action, why });
  if (v.command === undefined || v.command.trim() === '')
    throw new ImportError(
      `${section.file}:${section.line}: [${section.name}] has no command; supervisord needs one too`,
    );
  const numprocs = Number(v.numprocs ?? 1);
  if (!Number.isInteger(numprocs) || numprocs < 1)
    throw new ImportError(
      `${where('numprocs')}: numprocs: expected a whole number of 1 or more, got ${JSON.stringify(v.numprocs)}`,
    );
  const start = Number(v.numprocs_start ?? 0);
  const names = {
    program_name: program,
    group_name: group ?? program,
    numprocs,
    here: dirname(section.file),
  };
  let perInstance = false;
  const shellNum = (format: string) => ((perInstance = true), processNumShell(format, start));
  const literalNum = () => String(start);
  const fields: Record<string, unknown> = {
    command: expand(v.command, names, where('command'), shellNum, shellVariable),
  };
  if (perInstance)
    note(
      'command',
      'each instance gets its own number',
      `%(process_num) became shell arithmetic on WARDEN_INSTANCE (0, 1, ...)${start === 0 ? '' : ` plus numprocs_start ${start}`}`,
    );
  if (numprocs > 1) fields.instances = numprocs;
  if (v.directory !== undefined) {
    fields.cwd = resolve(
      dirname(section.file),
      expand(v.directory, names, where('directory'), literalNum),
    );
  }
  const keys = new Set(Object.keys(v));
  for (const key of keys) {
    const value = v[key] ?? '';
    switch (key) {
      case 'command':
      case 'numprocs':
      case 'directory':
        break;
      case 'numprocs_start':
        if (!perInstance) note(key, 'not used', 'no value names %(process_num)');
        break;
      case 'process_name':
        if (value !== '%(program_name)s' && !(numprocs > 1 && /process_num/.test(value)))
          note(
            key,
            'not translated',
            `warden names instances ${name} or ${name}:0, ${name}:1, ...`,
          );
        break;
      case 'environment':
        fields.env = Object.fromEntries(
          Object.entries(parseEnvironment(value, where(key))).map(([k, e]) => [
            k,
            expand(e, names, where(key), literalNum),
          ]),
        );
        if (/%\(process_num\)/.test(value))
          note(
            key,
            `%(process_num) written as ${start}`,
            'an environment value is not run by a shell; read WARDEN_INSTANCE in the program instead',
          );
        break;
      case 'user':
        fields.user = value;
        break;
      case 'umask':
        fields.umask = value.padStart(3, '0');
        break;
      case 'autostart':
        if (FALSE.test(value))
          note(
            key,
            'not translated',
            `"warden up" starts every service; to leave this one out, name the others: warden up A B`,
          );
        break;
      case 'autorestart':
        if (FALSE.test(value)) fields.restart = 'never';
        else if (value === 'unexpected') fields.restart = 'on-failure';
        else if (!TRUE.test(value))
          throw new ImportError(
            `${where(key)}: autorestart: expected true, false or unexpected, got ${JSON.stringify(value)}`,
          );
        break;
      case 'exitcodes': {
        const codes = value.split(',').map((c) => c.trim());
        if (v.autorestart === 'unexpected' && !(codes.length === 1 && codes[0] === '0'))
          note(
            key,
            'written as restart: on-failure',
            `warden counts only exit status 0 as expected: an exit with ${codes.filter((c) => c !== '0').join(', ')} is restarted too`,
          );
        break;
      }
      case 'startsecs':
        fields.min_uptime = durationOf(Number(value) * 1000);
        break;
      case 'startretries':
        fields.start_limit = { burst: Math.max(1, Number(value)) };
        note(
          key,
          `written as start_limit: {burst: ${Math.max(1, Number(value))}}`,
          'supervisord counts failed starts in a row, warden those within start_limit.interval (60s)',
        );
        break;
      case 'stopsignal':
        fields.stop_signal = `SIG${value.toUpperCase().replace(/^SIG/, '')}`;
        break;
      case 'stopwaitsecs':
        fields.stop_timeout = durationOf(Number(value) * 1000);
        break;
      case 'stopasgroup':
      case 'killasgroup':
        if (FALSE.test(value))
          note(key, 'not translated', 'warden always signals the whole process tree');
        break;
      case 'priority':
        note(
          key,
          'not translated',
          'warden starts services together; write depends_on where one needs another first',
        );
        break;
      default:
        if (LOG_KEY.test(key))
          note(
            key,
            'not translated',
            `warden keeps stdout and stderr in logs/${name}.log of its home, timestamped and rotated ("warden logs ${name}")`,
          );
        else note(key, 'not translated', 'no warden equivalent known to this importer');
    }
  }
  notes.notes.push(...book.notes);
  return { name, fields, comments: group === undefined ? [] : [`from group ${group}`] };
}

/**
 * Reads the supervisord config at `file` (absolute) and its includes.
 * @throws ImportError with the file and line of what cannot be read
 */
export function importSupervisord(file: string, options: SupervisordOptions): Imported {
  const sections = readSupervisordConfig(file);
  const notes = new NoteBook(file);
  const groupOf = new Map<string, string>();
  for (const s of sections.filter((x) => x.name.startsWith('group:'))) {
    const group = s.name.slice('group:'.length);
    for (const p of (s.values.programs ?? '').split(',').map((x) => x.trim()))
      groupOf.set(p, group);
    const where = new NoteBook(s.file);
    where.add({
      line: s.line,
      key: `[${s.name}] programs: ${s.values.programs ?? ''}`,
      action: 'no group written',
      why: `warden has no groups; act on the services together by name: warden restart ${(
        s.values.programs ?? ''
      )
        .split(',')
        .map((x) => x.trim())
        .join(' ')}`,
    });
    notes.notes.push(...where.notes);
  }
  const services: ImportedService[] = [];
  for (const s of sections) {
    if (s.name.startsWith('program:'))
      services.push(translateProgram(s, groupOf.get(s.name.slice(8)), notes));
    else if (!s.name.startsWith('group:')) {
      const why = /^(eventlistener|fcgi-program):/.test(s.name)
        ? 'warden has no event listeners or FastCGI sockets; run it as a service of its own if needed'
        : "supervisord's own settings; warden's are its home (WARDEN_HOME) and its control socket";
      const where = new NoteBook(s.file);
      where.add({ line: s.line, key: `[${s.name}]`, action: 'not translated', why });
      notes.notes.push(...where.notes);
    }
  }
  if (services.length === 0)
    throw new ImportError(`${file}: has no [program:NAME] section (nor do the files it includes)`);
  const own = sections.find((s) => s.name === 'supervisord');
  const limits = own === undefined ? {} : inheritedLimits(own, notes);
  const fixed = services.map((s) =>
    relativeCwd(
      Object.keys(limits).length === 0 ? s : { ...s, fields: { ...s.fields, limits } },
      options.outDir,
    ),
  );
  return { from: `${file} (supervisord)`, services: fixed, notes: notes.notes };
}

// An absolute cwd written relative to the output when it lies inside its directory.
function relativeCwd(s: ImportedService, outDir: string): ImportedService {
  if (typeof s.fields.cwd !== 'string') return s;
  const { cwd: _absolute, ...rest } = s.fields;
  const cwd = cwdFor(outDir, s.fields.cwd);
  return { ...s, fields: cwd === undefined ? rest : { ...rest, cwd } };
}

// supervisord raises its own RLIMIT_NOFILE and RLIMIT_NPROC to `minfds` and `minprocs` at start,
// and every program inherits them: as warden rlimits of every service (docs/config/limits.md).
function inheritedLimits(section: IniSection, notes: NoteBook): Record<string, number> {
  const limits: Record<string, number> = {};
  const given: string[] = [];
  for (const [key, rlimit] of [
    ['minfds', 'nofile'],
    ['minprocs', 'nproc'],
  ] as const) {
    const value = section.values[key];
    if (value === undefined) continue;
    given.push(`${key}=${value}`);
    if (/^\d+$/.test(value.trim())) limits[rlimit] = Number(value.trim());
  }
  if (given.length === 0) return limits;
  const written = Object.entries(limits).map(([k, v]) => `${k}: ${v}`);
  const where = new NoteBook(section.file);
  where.add({
    line: section.line,
    key: `[supervisord] ${given.join(' ')}`,
    action: `written as limits: {${written.join(', ')}} on every service`,
    why: 'supervisord raises its own limits to these and every program inherits them; warden sets them per service, soft and hard alike',
  });
  notes.notes.push(...where.notes);
  return limits;
}
