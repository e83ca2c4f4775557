// execvp(3)'s program lookup, done before a spawn whose real exec happens later in a wrapper,
// so that a missing or non-executable program is still reported as ENOENT or EACCES.
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { SpawnFailure } from '../core/exit.js';

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

function check(path: string): 'ok' | 'ENOENT' | 'EACCES' {
  try {
    if (!statSync(path).isFile()) return 'EACCES';
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EACCES'
      ? 'EACCES'
      : 'ENOENT';
  }
}

/**
 * Looks `program` up as execvp would: a name with a `/` relative to `cwd`, otherwise each
 * directory of `PATH` in turn (execvp(3)).
 * @returns undefined when it can be executed, else the SpawnFailure execvp would give
 */
export function findProgram(
  program: string,
  path: string | undefined,
  cwd: string,
): SpawnFailure | undefined {
  if (program.includes('/')) {
    const full = isAbsolute(program) ? program : join(cwd, program);
    const r = check(full);
    return r === 'ok'
      ? undefined
      : { spawnError: r, path: program, message: `spawn ${program} ${r}` };
  }
  let denied = false;
  for (const dir of (path ?? DEFAULT_PATH).split(':')) {
    const r = check(join(dir === '' ? cwd : dir, program));
    if (r === 'ok') return undefined;
    if (r === 'EACCES') denied = true;
  }
  const code = denied ? 'EACCES' : 'ENOENT';
  return { spawnError: code, path: program, message: `spawn ${program} ${code}` };
}
