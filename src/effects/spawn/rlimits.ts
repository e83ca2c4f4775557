// Resource limits set in a new process before its exec (config `limits`: nofile, core, nproc,
// stack, as), in the two forms a start takes them: the RLIMITS field of a warden-spawner request
// (setrlimit(2) in the child), or prlimit(1) in front of the command when no warden-spawner runs.
import { accessSync, constants } from 'node:fs';
import type { Rlimit, RlimitName } from '../../config/types.js';

/** RLIMIT_* numbers of Linux (asm-generic/resource.h; x86 and arm alike). */
const RLIMIT_NUMBERS: Record<RlimitName, number> = {
  stack: 3,
  core: 4,
  nproc: 6,
  nofile: 7,
  as: 9,
};

/** Where prlimit(1) (util-linux) is looked for. */
const PRLIMIT_PATHS = ['/usr/bin/prlimit', '/bin/prlimit'];

/**
 * The RLIMITS field of a warden-spawner request (native/warden-spawner.c): `NUM:SOFT:HARD`
 * comma-separated, NUM the RLIMIT_* number, -1 for RLIM_INFINITY; empty for none.
 */
export function rlimitsField(rlimits: readonly Rlimit[] | undefined): string {
  const side = (v: number | null) => (v === null ? '-1' : String(v));
  return (rlimits ?? [])
    .map((r) => `${RLIMIT_NUMBERS[r.resource]}:${side(r.soft)}:${side(r.hard)}`)
    .join(',');
}

/** The path of prlimit(1), or undefined when it is not installed. */
export function findPrlimit(): string | undefined {
  return PRLIMIT_PATHS.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * prlimit(1)'s arguments that set `rlimits` and then exec the command after them:
 * `--nofile=256:256 ... --`. prlimit sets soft and hard in one prlimit(2) call, as the
 * fork server's setrlimit(2) does.
 */
export function prlimitArgs(rlimits: readonly Rlimit[]): string[] {
  const side = (v: number | null) => (v === null ? 'unlimited' : String(v));
  return [...rlimits.map((r) => `--${r.resource}=${side(r.soft)}:${side(r.hard)}`), '--'];
}

/**
 * `path` and `argv` run under prlimit(1) with `rlimits` set first.
 * @throws ENOTSUP (with `code`) when prlimit(1) is not installed
 */
export function underPrlimit(
  path: string,
  argv: readonly string[],
  rlimits: readonly Rlimit[],
): { path: string; argv: string[] } {
  const prlimit = findPrlimit();
  if (prlimit === undefined)
    throw Object.assign(
      new Error('limits (nofile, core...) need warden-spawner or prlimit(1) (util-linux)'),
      { code: 'ENOTSUP' },
    );
  return { path: prlimit, argv: ['prlimit', ...prlimitArgs(rlimits), path, ...argv.slice(1)] };
}
