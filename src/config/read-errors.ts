// Messages for files that cannot be read or found: errno name first, then what to do.
import { describeUnfit, UnfitFileError } from '../effects/files/regular-file.js';
import { errnoOf } from '../effects/ffi/errno.js';

function isPermissionError(code: string | undefined): boolean {
  return code === 'EACCES' || code === 'EPERM';
}

/** `CODE: cannot ... (detail)` for errors without a message of their own. */
function genericMessage(code: string | undefined, what: string, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  return `${code ?? 'error'}: ${what} (${detail})`;
}

/** Why the config file itself cannot be read, e.g. `ENOENT: no such file; create warden.yaml or pass -f FILE`. */
export function configReadMessage(error: unknown): string {
  if (error instanceof UnfitFileError) {
    return error.reason.kind === 'not-regular'
      ? `${describeUnfit(error.reason)}; a config is read only from a regular file: pass one with -f FILE`
      : `${describeUnfit(error.reason)} for a config; check that -f names the config file`;
  }
  const code = errnoOf(error);
  if (code === 'ENOENT') return 'ENOENT: no such file; create warden.yaml or pass -f FILE';
  if (code === 'EISDIR') return 'EISDIR: is a directory; pass the config file itself with -f FILE';
  if (isPermissionError(code)) return `${code}: permission denied; check the file's owner and mode`;
  return genericMessage(code, 'cannot read the config file', error);
}

/** Why an `env_file` cannot be read, naming its resolved path. */
export function envFileReadMessage(error: unknown, path: string): string {
  if (error instanceof UnfitFileError) {
    return error.reason.kind === 'not-regular'
      ? `env file ${path} ${describeUnfit(error.reason)}; point env_file at a regular file`
      : `env file ${path} ${describeUnfit(error.reason)} for an env file; keep it smaller, or set large values elsewhere`;
  }
  const code = errnoOf(error);
  if (code === 'ENOENT') return `ENOENT: env file ${path} does not exist`;
  if (code === 'EISDIR') return `EISDIR: env file ${path} is a directory`;
  if (isPermissionError(code)) return `${code}: permission denied reading env file ${path}`;
  return genericMessage(code, `cannot read env file ${path}`, error);
}

/** Why a `cwd` is unusable: `ENOENT` (missing), `ENOTDIR` (not a directory) or another errno. */
export function cwdMessage(error: unknown, path: string): string {
  const code = errnoOf(error);
  if (code === 'ENOENT') return `ENOENT: directory ${path} does not exist`;
  if (code === 'ENOTDIR') return `ENOTDIR: ${path} is not a directory`;
  if (isPermissionError(code)) return `${code}: permission denied for ${path}`;
  return genericMessage(code, `cannot use ${path} as working directory`, error);
}
