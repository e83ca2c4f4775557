// Which changed paths `watch.ignore` leaves out, with .gitignore's rules (the `ignore` package,
// as git and ESLint read them): a pattern without `/` matches a name at any depth
// (`node_modules`, `*.log`), one with `/` a path from the service's cwd and what is under it.
import { isAbsolute, relative } from 'node:path';
import ignore from 'ignore';

/**
 * A test of absolute paths against `patterns`, relative to `cwd` (absolute); a path outside
 * `cwd` is matched relative to the watched `roots` entry that holds it, else by its name alone.
 */
export function ignoredPaths(
  patterns: readonly string[],
  cwd: string,
  roots: readonly string[],
): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const rules = ignore().add([...patterns]);
  return (path) => {
    const rel = relativeTo(path, [cwd, ...roots]);
    return rel !== '' && rules.ignores(rel);
  };
}

// `path` relative to the first of `bases` that holds it ('' for a base itself); else its name.
function relativeTo(path: string, bases: readonly string[]): string {
  for (const base of bases) {
    const rel = relative(base, path);
    if (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel)) return rel;
  }
  return path.split('/').filter(Boolean).at(-1) ?? '';
}
