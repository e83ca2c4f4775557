// execvp(3)'s program lookup in the instance's own PATH (posix_spawn(3) takes a path), and before
// a spawn through a wrapper, so that a missing program is still reported as ENOENT or EACCES.
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import type { SpawnFailure } from '../../core/exit.js';
import { errnoOf } from '../ffi/errno.js';

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

function check(path: string): 'ok' | 'ENOENT' | 'EACCES' {
  try {
    if (!statSync(path).isFile()) return 'EACCES';
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch (error) {
    return errnoOf(error) === 'EACCES' ? 'EACCES' : 'ENOENT';
  }
}

/**
 * Looks `program` up as execvp would: a name with a `/` relative to `cwd`, otherwise each
 * directory of `PATH` in turn (execvp(3)).
 * @returns the path to execute, or the SpawnFailure execvp would give (ENOENT, EACCES)
 */
export function resolveProgram(
  program: string,
  path: string | undefined,
  cwd: string,
): string | SpawnFailure {
  if (program.includes('/')) {
    const full = isAbsolute(program) ? program : join(cwd, program);
    const r = check(full);
    return r === 'ok' ? full : { spawnError: r, path: program, message: `spawn ${program} ${r}` };
  }
  let denied = false;
  for (const dir of (path ?? DEFAULT_PATH).split(':')) {
    // execvp runs after the chdir: an empty or relative entry is relative to the new cwd.
    const full = join(resolvePath(cwd, dir), program);
    const r = check(full);
    if (r === 'ok') return full;
    if (r === 'EACCES') denied = true;
  }
  const code = denied ? 'EACCES' : 'ENOENT';
  return { spawnError: code, path: program, message: `spawn ${program} ${code}` };
}

/** resolveProgram's verdict only. @returns undefined when `program` can be executed */
export function findProgram(
  program: string,
  path: string | undefined,
  cwd: string,
): SpawnFailure | undefined {
  const found = resolveProgram(program, path, cwd);
  return typeof found === 'string' ? undefined : found;
}
