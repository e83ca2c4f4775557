// A top-level `include:` (docs/config/include.md): the services of other files merged into one
// config, their relative paths resolved against their own directory, errors placed in them.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatIssue } from '../../src/config/format.js';
import { checkDocument } from '../../src/config/document.js';
import { loadConfig } from '../../src/config/load.js';

let dir = '';
let caseNumber = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-include-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `files` (relative path -> text) in a fresh case dir; returns the dir. */
async function writeCase(files: Record<string, string>): Promise<string> {
  const caseDir = join(dir, `case-${++caseNumber}`);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(caseDir, name)), { recursive: true });
    await writeFile(join(caseDir, name), text);
  }
  return caseDir;
}

async function issuesOf(caseDir: string): Promise<string[]> {
  const r = await loadConfig(join(caseDir, 'warden.yaml'));
  assert.equal(r.ok, false, 'expected the config to be rejected');
  if (r.ok) return [];
  return r.issues.map((i) => formatIssue({ ...i, file: relative(caseDir, i.file) }));
}

const MAIN = 'include: [projects/*/warden.yaml]\nservices:\n  main:\n    command: [sleep, "1"]\n';

void describe('include', () => {
  void it('merges the services of every file the glob matches, paths relative to each', async () => {
    const caseDir = await writeCase({
      'warden.yaml': MAIN,
      'projects/a/warden.yaml':
        'services:\n  api:\n    command: [./run]\n    cwd: ./srv\n    env_file: .env\n',
      'projects/a/.env': 'FROM=a\n',
      'projects/a/srv/run': '',
      'projects/b/warden.yaml':
        'services:\n  queue:\n    command: [sleep, "2"]\n    listen: ["unix:q.sock"]\n',
      'projects/c/other.yaml': 'services:\n  nope:\n    command: x\n',
    });
    const r = await loadConfig(join(caseDir, 'warden.yaml'));
    assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
    const byName = new Map(r.config.services.map((s) => [s.name, s]));
    assert.deepEqual([...byName.keys()], ['main', 'api', 'queue'], 'main first, then by path');
    assert.equal(byName.get('main')?.cwd, caseDir);
    assert.equal(byName.get('api')?.cwd, join(caseDir, 'projects/a/srv'));
    assert.equal(byName.get('api')?.env.FROM, 'a', 'env_file beside the included file');
    assert.equal(byName.get('queue')?.cwd, join(caseDir, 'projects/b'), 'default cwd: its dir');
    const bind = byName.get('queue')?.listen[0]?.bind;
    assert.equal(bind?.kind === 'unix' && bind.path, join(caseDir, 'projects/b/q.sock'));
    // What `up` sends the daemon checks the same there, without the files' YAML.
    const again = await checkDocument(r.source, r.config.path);
    assert.ok(again.ok, again.ok ? '' : again.issues.map(formatIssue).join('\n'));
    assert.deepEqual(again.config.services, r.config.services);
  });

  void it('a name defined twice is an error naming both files and lines', async () => {
    const caseDir = await writeCase({
      'warden.yaml': MAIN,
      'projects/a/warden.yaml': 'services:\n  api:\n    command: x\n',
      'projects/b/warden.yaml': '# b\nservices:\n  main:\n    command: y\n  api:\n    command: z\n',
    });
    const a = join(caseDir, 'projects/a/warden.yaml');
    const main = join(caseDir, 'warden.yaml');
    assert.deepEqual(await issuesOf(caseDir), [
      `projects/b/warden.yaml:3:3: services.main: "main" is defined twice: here and in ${main}:3:3; rename one of them`,
      `projects/b/warden.yaml:5:3: services.api: "api" is defined twice: here and in ${a}:2:3; rename one of them`,
    ]);
  });

  void it('an included file holds only services, and includes nothing itself', async () => {
    const caseDir = await writeCase({
      'warden.yaml': MAIN,
      'projects/a/warden.yaml':
        'logs: { keep: 2 }\ninclude: [x.yaml]\nservices:\n  api:\n    command: x\n',
    });
    const main = join(caseDir, 'warden.yaml');
    assert.deepEqual(await issuesOf(caseDir), [
      `projects/a/warden.yaml:1:1: logs: an included file holds only services; set "logs" in ${main}, which includes this file`,
      `projects/a/warden.yaml:2:1: include: an included file cannot include others; list every file in the include of ${main}`,
    ]);
  });

  void it('an error in an included file names that file and line', async () => {
    const caseDir = await writeCase({
      'warden.yaml': MAIN,
      'projects/a/warden.yaml': 'services:\n  api:\n    command: x\n    restart: sometimes\n',
      'projects/b/warden.yaml': 'services:\n  q:\n    command: x\n   cwd: y\n',
    });
    assert.deepEqual(await issuesOf(caseDir), [
      'projects/a/warden.yaml:4:14: services.api.restart: "sometimes" is not a restart policy; use always, on-failure or never',
      'projects/b/warden.yaml:4:1: YAML: All mapping items must start at the same column',
    ]);
  });

  void it('checks the include list and a named file that does not exist', async () => {
    const bad = await writeCase({
      'warden.yaml': 'include: projects\nservices: { a: { command: x } }\n',
    });
    assert.deepEqual(await issuesOf(bad), [
      'warden.yaml:1:10: include: expected a list of files or globs, e.g. [projects/*/warden.yaml], got a string ("projects")',
    ]);
    const missing = await writeCase({
      'warden.yaml':
        'services: { a: { command: x } }\ninclude:\n  - projects/*/warden.yaml\n  - extra.yaml\n',
    });
    assert.deepEqual(await issuesOf(missing), [
      `warden.yaml:4:5: include[1]: ENOENT: ${join(missing, 'extra.yaml')} does not exist (a glob that matches nothing is no error, a file named alone is)`,
    ]);
  });
});
