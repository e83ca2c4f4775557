// `${VAR}` in command, cwd, env values and env_file paths (docs/config/variables.md): real files
// in a temp dir, variables from the process's environment and the service's env_file.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatIssue } from '../../src/config/format.js';
import { loadConfig } from '../../src/config/load.js';
import type { ServiceSpec } from '../../src/config/types.js';
import { checkDocument } from '../../src/config/document.js';
import { parseProcfile, procfileDocument } from '../../src/config/procfile.js';
import { NoteBook } from '../../src/cli/import/model.js';
import { translateApps } from '../../src/cli/import/pm2.js';
import { environmentWarnings, variableNames } from '../../src/config/variables.js';

let dir = '';
let caseNumber = 0;
const SET = { WV_GREETING: 'hello', WV_EMPTY: '', WV_APP: 'app', WV_ENV_NAME: 'prod' };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-vars-'));
  Object.assign(process.env, SET);
});
after(async () => {
  for (const name of Object.keys(SET)) Reflect.deleteProperty(process.env, name);
  await rm(dir, { recursive: true, force: true });
});

/** Writes `files` (name -> text) in a fresh case dir; returns the dir. */
async function writeCase(files: Record<string, string>): Promise<string> {
  const caseDir = join(dir, `case-${++caseNumber}`);
  await mkdir(join(caseDir, 'app'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(caseDir, name), text);
  return caseDir;
}

async function servicesOf(caseDir: string): Promise<Map<string, ServiceSpec>> {
  const r = await loadConfig(join(caseDir, 'warden.yaml'));
  assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  return new Map(r.config.services.map((s) => [s.name, s]));
}

async function issuesOf(caseDir: string): Promise<string[]> {
  const r = await loadConfig(join(caseDir, 'warden.yaml'));
  assert.equal(r.ok, false, 'expected the config to be rejected');
  if (r.ok) return [];
  return r.issues.map((i) => formatIssue({ ...i, file: relative(caseDir, i.file) }));
}

void describe('${VAR} interpolation', () => {
  void it('takes variables from the environment, defaults, and $$ for a literal $', async () => {
    const caseDir = await writeCase({
      'warden.yaml': [
        'services:',
        '  web:',
        '    command: "echo ${WV_GREETING} ${WV_UNSET:-fallback} ${WV_EMPTY:-dflt} [${WV_EMPTY-kept}] $$HOME $HOME $1"',
        '    cwd: ./${WV_APP}',
        '    env: { URL: "http://${WV_GREETING}:${WV_PORT:-80}/", RAW: "$${WV_GREETING}" }',
        '  argv:',
        '    command: [printf, "%s", "${WV_GREETING}", "a$$b"]',
      ].join('\n'),
    });
    const s = await servicesOf(caseDir);
    assert.deepEqual(s.get('web')?.command, {
      kind: 'shell',
      script: 'echo hello fallback dflt [] $HOME $HOME $1',
    });
    assert.equal(s.get('web')?.cwd, join(caseDir, 'app'));
    assert.deepEqual(s.get('web')?.env, { URL: 'http://hello:80/', RAW: '${WV_GREETING}' });
    assert.deepEqual(s.get('argv')?.command, {
      kind: 'argv',
      argv: ['printf', '%s', 'hello', 'a$b'],
    });
  });

  void it("reads the service's env_file too; the environment wins over it", async () => {
    const caseDir = await writeCase({
      'prod.env': 'PORT=5000\nWV_GREETING=from-file\n',
      'warden.yaml': [
        'services:',
        '  web:',
        '    command: [serve, "--port", "${PORT}", "${WV_GREETING}"]',
        '    env_file: ./${WV_ENV_NAME}.env',
        '    env: { ADDR: "127.0.0.1:${PORT}" }',
      ].join('\n'),
    });
    const web = (await servicesOf(caseDir)).get('web');
    assert.deepEqual(web?.command, { kind: 'argv', argv: ['serve', '--port', '5000', 'hello'] });
    assert.equal(web?.env.ADDR, '127.0.0.1:5000');
    assert.equal(web?.env.PORT, '5000', 'the env file still reaches the service');
  });

  void it('an unset variable without a default is an error naming it, with its line', async () => {
    const caseDir = await writeCase({
      'warden.yaml': [
        'services:',
        '  web:',
        '    command: "for i in 1 2; do echo ${i}; done"',
        '    env:',
        '      A: "${WV_NOPE}"',
        '  db:',
        '    command: [run, "${WV_BAD"]',
        '    cwd: "${x%.*}"',
      ].join('\n'),
    });
    assert.deepEqual(await issuesOf(caseDir), [
      'warden.yaml:3:14: services.web.command: variable "i" is not set (neither in the environment nor in env_file); set it, give a default with ${i:-default}, or write $${i} for a literal ${i} the shell expands',
      'warden.yaml:5:10: services.web.env.A: variable "WV_NOPE" is not set (neither in the environment nor in env_file); set it, give a default with ${WV_NOPE:-default}, or write $${WV_NOPE} for a literal ${WV_NOPE} the shell expands',
      'warden.yaml:7:20: services.db.command[1]: "${WV_BAD" has no closing "}"; write $$ for a literal $',
      'warden.yaml:8:10: services.db.cwd: "${x%.*}" is not ${NAME}, ${NAME:-default} or ${NAME-default}; write $${ for a literal ${ the shell expands',
    ]);
  });

  void it('a Procfile or a PM2 app keeps its `$` as written: those formats interpolate nothing', async () => {
    const caseDir = await writeCase({});
    const line = 'web: serve --port ${PORT} --pid $$ --home $HOME';
    const procfile = parseProcfile(`${line}\n`, join(caseDir, 'Procfile'));
    assert.ok(procfile.ok);
    const fromProcfile = await checkDocument(
      procfileDocument(procfile.entries, {}),
      join(caseDir, 'Procfile'),
    );
    assert.ok(fromProcfile.ok, fromProcfile.ok ? '' : fromProcfile.issues.map(formatIssue).join());
    assert.deepEqual(fromProcfile.config.services[0]?.command, {
      kind: 'shell',
      script: 'serve --port ${PORT} --pid $$ --home $HOME',
    });
    const [app] = translateApps(
      [{ name: 'api', script: 'api.js', args: '--tag ${TAG}', env: { URL: 'http://${HOST}/$$' } }],
      new NoteBook('ecosystem.json'),
      { outDir: caseDir, baseDir: caseDir },
    );
    const fromPm2 = await checkDocument(
      { document: { services: { api: app?.fields } }, order: ['api'] },
      join(caseDir, 'warden.yaml'),
    );
    assert.ok(fromPm2.ok, fromPm2.ok ? '' : fromPm2.issues.map(formatIssue).join());
    assert.deepEqual(fromPm2.config.services[0]?.command, {
      kind: 'shell',
      script: 'node api.js --tag ${TAG}',
    });
    assert.equal(fromPm2.config.services[0]?.env.URL, 'http://${HOST}/$$');
  });

  void it('names the variables a config uses, and warns of those the daemon has otherwise', () => {
    const document = {
      services: {
        a: { command: 'echo ${B} $${NOT} $$ ${A:-x}', env: { K: '${C}' }, ready: { exec: '${R}' } },
        b: { command: ['${A}'], cwd: '/srv/${D}', env_file: '${E}.env' },
      },
    };
    assert.deepEqual(variableNames(document), ['A', 'B', 'C', 'D', 'E']);
    const warnings = environmentWarnings(
      { A: 'same', B: 'secret-1', C: null, D: 'here' },
      { A: 'same', B: 'secret-2', C: 'there' },
    );
    assert.deepEqual(
      warnings.map((w) => w.split(',')[0]),
      [
        "${B} differs between this shell and the daemon's environment",
        "${C} is not set in this shell but is in the daemon's environment",
        "${D} is set in this shell but not in the daemon's environment",
      ],
    );
    assert.ok(
      warnings.every((w) => !/secret|here|there/.test(w)),
      'no value is shown',
    );
  });
});
