// The pieces of `warden import` that need no process: Procfile lines, supervisord expansions,
// environment lists and INI quirks, PM2 command lines and sizes, the commented YAML.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { isProcfileName, parseProcfile, procfileDocument } from '../../src/config/procfile.js';
import { emitYaml } from '../../src/cli/import/emit-yaml.js';
import { ImportError } from '../../src/cli/import/model.js';
import { pm2Command } from '../../src/cli/import/pm2-command.js';
import { memoryOf } from '../../src/cli/import/pm2-keys.js';
import {
  expand,
  parseEnvironment,
  processNumShell,
} from '../../src/cli/import/supervisord-expand.js';
import { readSupervisordConfig } from '../../src/cli/import/supervisord-ini.js';

const names = { program_name: 'web', group_name: 'site', numprocs: 2, here: '/etc/sup' };
const noNum = () => 'N';

void describe('Procfile', () => {
  void it('reads NAME: command lines, skipping comments and blank lines', () => {
    const r = parseProcfile('# app\n\nweb: node server.js\nworker:   run-jobs --fast\n', '/p');
    assert.ok(r.ok);
    assert.deepEqual(
      r.entries.map((e) => [e.name, e.command, e.line]),
      [
        ['web', 'node server.js', 3],
        ['worker', 'run-jobs --fast', 4],
      ],
    );
    const doc = procfileDocument(r.entries, { portBase: 3000, envFile: '.env' });
    assert.deepEqual(doc.document, {
      services: {
        web: { command: 'node server.js', env_file: '.env', env: { PORT: '3000' } },
        worker: { command: 'run-jobs --fast', env_file: '.env', env: { PORT: '3100' } },
      },
    });
  });

  void it('names the line of a malformed entry, an empty command, a name used twice', () => {
    const r = parseProcfile('web: a\nweb: b\nbad line\nclock:\n', '/p');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => [i.line, i.message.slice(0, 24)]),
      [
        [2, '"web" is already defined'],
        [3, 'expected "NAME: command"'],
        [4, '"clock" has no command; '],
      ],
    );
    assert.ok(!parseProcfile('# only a comment\n', '/p').ok);
  });

  void it('is recognised by its name', () => {
    assert.ok(isProcfileName('/srv/app/Procfile'));
    assert.ok(isProcfileName('Procfile.dev'));
    assert.ok(!isProcfileName('warden.yaml'));
    assert.ok(!isProcfileName('MyProcfile'));
  });
});

void describe('supervisord expansions', () => {
  void it('expands names with Python format widths, and %%', () => {
    assert.equal(expand('%(program_name)s-%(group_name)s', names, 'f:1', noNum), 'web-site');
    assert.equal(expand('%(numprocs)03d %(program_name)5s|', names, 'f:1', noNum), '002   web|');
    assert.equal(expand('100%% %(here)s', names, 'f:1', noNum), '100% /etc/sup');
    assert.equal(
      expand('n%(process_num)02d', names, 'f:1', (f) => `<${f}>`),
      'n<02d>',
    );
  });

  void it('refuses an unknown name and an unset variable, naming the place', () => {
    assert.throws(() => expand('%(nope)s', names, 'f.conf:7', noNum), /f\.conf:7: %\(nope\)s/);
    delete process.env.WARDEN_UNSET_FOR_TEST;
    assert.throws(
      () => expand('%(ENV_WARDEN_UNSET_FOR_TEST)s', names, 'f.conf:8', noNum),
      (e: unknown) => e instanceof ImportError && /f\.conf:8: .*is not set/.test(e.message),
    );
  });

  void it('process_num as shell arithmetic on WARDEN_INSTANCE', () => {
    assert.equal(processNumShell('d', 0), '$WARDEN_INSTANCE');
    assert.equal(processNumShell('d', 5), '$((WARDEN_INSTANCE + 5))');
    assert.equal(processNumShell('02d', 1), '$(printf %02d $((WARDEN_INSTANCE + 1)))');
  });

  void it('parses environment lists: quotes, commas inside quotes, bare values', () => {
    assert.deepEqual(parseEnvironment('A="x, y",B=\'q\',C=plain, D = "esc\\"aped"', 'f:1'), {
      A: 'x, y',
      B: 'q',
      C: 'plain',
      D: 'esc"aped',
    });
    assert.throws(() => parseEnvironment('A="x",=oops', 'f:2'), /f:2: environment: expected/);
  });
});

void describe('supervisord INI reading', () => {
  void it('keeps dotted names, inline comments after a space only, continuations, includes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-ini-'));
    try {
      mkdirSync(join(dir, 'conf.d'));
      writeFileSync(
        join(dir, 'main.conf'),
        '[program:api.v2]\ncommand=run --tag=a#b ; a comment\n  --more\n[include]\nfiles=conf.d/*.ini\n',
      );
      writeFileSync(join(dir, 'conf.d', 'b.ini'), '[program:b]\ncommand = b\n');
      writeFileSync(join(dir, 'conf.d', 'a.ini'), '[program:a]\ncommand = a\n');
      writeFileSync(join(dir, 'conf.d', 'skip.txt'), 'not ini at all\n');
      const sections = readSupervisordConfig(join(dir, 'main.conf'));
      assert.deepEqual(
        sections.map((s) => [s.name, s.values.command, s.line]),
        [
          ['program:api.v2', 'run --tag=a#b --more', 1],
          ['program:a', 'a', 1],
          ['program:b', 'b', 1],
        ],
      );
      assert.equal(sections[0]?.keyLines.command, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe('PM2 command lines and sizes', () => {
  void it('picks the interpreter as PM2 does', () => {
    assert.equal(pm2Command({ script: 'app.js', args: '--port 3000' }), 'node app.js --port 3000');
    assert.equal(pm2Command({ script: 'job.py' }), 'python job.py');
    assert.equal(pm2Command({ script: 'bin/www', interpreter: 'none' }), 'bin/www');
    assert.equal(pm2Command({ script: 'npm', args: ['run', 'start:prod'] }), 'npm run start:prod');
    assert.equal(
      pm2Command({ script: 'a.js', node_args: ['--max-old-space-size=512'], args: ["it's"] }),
      "node --max-old-space-size=512 a.js 'it'\\''s'",
    );
  });

  void it('reads max_memory_restart sizes', () => {
    assert.equal(memoryOf('300M'), '300MB');
    assert.equal(memoryOf('1G'), '1GB');
    assert.equal(memoryOf(1048576), '1048576B');
    assert.equal(memoryOf('lots'), undefined);
  });
});

void describe('the commented YAML', () => {
  void it('puts top-level notes in the header and each service note above it', () => {
    const text = emitYaml({
      from: 'x (test)',
      services: [{ name: 'web', fields: { command: 'run' }, comments: ['limits: {memory: 1GB}'] }],
      notes: [
        { where: 'x', key: 'deploy', action: 'not translated', why: 'no deploys' },
        { where: 'x:3', service: 'web', key: 'watch: true', action: 'not translated', why: 'w' },
      ],
    });
    assert.match(text, /^# Imported from x \(test\)/);
    assert.match(text, /# note: deploy: not translated; no deploys\n/);
    assert.match(
      text,
      / {2}# limits: \{memory: 1GB\}\n {2}# note: watch: true: not translated; w\n {2}web:/,
    );
    assert.deepEqual(parseDocument(text).toJS(), { services: { web: { command: 'run' } } });
  });
});
