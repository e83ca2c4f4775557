// Whether a home can be trusted, like ssh's StrictModes (docs/security.md): a directory only
// its user (and root) can change, under parents that nobody else can swap it out of.
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WardenError } from '../../core/warden-error.js';
import { errnoOf } from '../ffi/errno.js';

/**
 * A home, a file in it or the daemon behind its socket that another user could control: warden
 * refuses it. `message` says what is wrong, where, and how to fix it (the CLI exits 2).
 */
export class UntrustedError extends WardenError<'UNTRUSTED'> {
  constructor(message: string) {
    super('UNTRUSTED', message);
    this.name = 'UntrustedError';
  }
}

// The name of `uid` in /etc/passwd (NSS modules are not consulted), or undefined.
function userName(uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id === String(uid) && name !== undefined && name !== '') return name;
    }
  } catch {
    // no /etc/passwd: the number alone
  }
  return undefined;
}

/** `uid` for messages: `uid 1001 (alice)`, or `uid 1001` when /etc/passwd does not name it. */
export function describeUid(uid: number): string {
  const name = userName(uid);
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${name})`;
}

/** Who a client trusts, for messages: `uid 1001 (alice) or root`, or `root`. */
export function describeTrusted(uid: number): string {
  return uid === 0 ? describeUid(0) : `${describeUid(uid)} or root`;
}

function mode(st: Stats): string {
  return `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw new UntrustedError(`cannot check ${path}: ${String((error as Error).message)}`);
  }
}

/**
 * Checks a directory of the home itself (the home, `logs/`): a real directory (lstat, never a
 * symbolic link), owned by one of `owners`, writable by nobody else.
 * @returns false when it does not exist (the caller creates it, mode 0700)
 * @throws UntrustedError saying what is wrong and the command that fixes it
 */
export function checkOwnDir(path: string, owners: readonly number[]): boolean {
  const st = lstatOrUndefined(path);
  if (st === undefined) return false;
  if (st.isSymbolicLink())
    throw new UntrustedError(
      `${path} is a symbolic link (to ${readlinkSync(path)}, made by ${describeUid(st.uid)}); ` +
        `warden takes only a real directory as its home or logs, which no one else can point ` +
        `elsewhere: remove the link, or pass the directory itself if it is yours`,
    );
  if (!st.isDirectory()) throw new UntrustedError(`${path} is not a directory: move it away`);
  if (!owners.includes(st.uid))
    throw new UntrustedError(
      `${path} belongs to ${describeUid(st.uid)}, not to ${describeUid(owners[0] ?? 0)}: ` +
        `that user could plant files in it; use another --home, or if it is yours, ` +
        `"chown -R ${userName(owners[0] ?? 0) ?? owners[0] ?? 0} ${path}" and check what is in it`,
    );
  if ((st.mode & 0o022) !== 0)
    throw new UntrustedError(
      `${path} is writable by its group or others (${mode(st)}): another user could plant ` +
        `files in it; run "chmod 700 ${path}" and check what is in it`,
    );
  return true;
}

/** The sticky bit (inode(7)), which Node's fs.constants lacks. */
const S_ISVTX = 0o1000;

// A parent is safe when only root or the user can change it, or it is a sticky directory of
// root's (like /tmp): there nobody else may rename or remove an entry they do not own.
function checkParent(dir: string, child: string, owners: readonly number[]): void {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return; // created later, by us
    throw new UntrustedError(`cannot check ${dir}: ${String((error as Error).message)}`);
  }
  const isRootSticky = st.uid === 0 && (st.mode & S_ISVTX) !== 0;
  if (!owners.includes(st.uid) && st.uid !== 0)
    throw new UntrustedError(
      `${dir}, a parent of ${child}, belongs to ${describeUid(st.uid)}, who could replace ` +
        `${child}: use a home under a directory of yours or root's`,
    );
  if ((st.mode & 0o022) !== 0 && !isRootSticky)
    throw new UntrustedError(
      `${dir}, a parent of ${child}, is writable by its group or others (${mode(st)}) and is ` +
        `not a sticky directory of root's like /tmp: another user could replace ${child}; ` +
        `run "chmod go-w ${dir}" or use another --home`,
    );
}

/** `dir` and each of its parents up to `/`. */
function upToRoot(dir: string): string[] {
  const dirs = [dir];
  while (dirname(dirs[dirs.length - 1] ?? '/') !== dirs[dirs.length - 1])
    dirs.push(dirname(dirs[dirs.length - 1] ?? '/'));
  return dirs;
}

/**
 * Checks every parent of `path` up to `/`: each as named (stat, through any symbolic link) and
 * each on the real path of the deepest one that exists, so that no link on the way leads
 * through a directory others can change. @throws UntrustedError naming the parent and the fix
 */
export function checkParents(path: string, owners: readonly number[]): void {
  const named = upToRoot(dirname(resolve(path)));
  const dirs = new Set(named);
  for (const dir of named) {
    try {
      for (const real of upToRoot(realpathSync(dir))) dirs.add(real);
      break;
    } catch {
      // missing: mkdir makes it ours; its nearest existing parent decides
    }
  }
  for (const dir of dirs) checkParent(dir, path, owners);
}

/**
 * Checks a home and its `logs/` for a process whose uid is `owners[0]`: the daemon (`owners`
 * [uid]) or a client ([uid, 0]: root's home is trusted too). A missing home passes (the daemon
 * creates it, mode 0700).
 * @throws UntrustedError
 */
export function checkHome(home: string, logDir: string, owners: readonly number[]): void {
  checkParents(home, owners);
  if (!checkOwnDir(home, owners)) return;
  // Inside a home of root's that is closed to us, connect(2) says EACCES: that is the answer.
  if (lstatSync(home).uid === owners[0]) checkOwnDir(logDir, owners);
}

/** The refusal of a symbolic link found where a file of the home should be (opened O_NOFOLLOW). */
export function plantedLink(path: string, home: string): string {
  return (
    `${path} is a symbolic link, which warden never follows in its home (someone may have ` +
    `planted it to make the daemon write elsewhere): remove it ("rm ${path}") and check what ` +
    `else is in ${home}`
  );
}

/**
 * Checks the control socket's file before a client trusts it: a socket (lstat), owned by root
 * or `uid`. @returns false when nothing is there @throws UntrustedError
 */
export function checkSocketFile(path: string, uid: number): boolean {
  const st = lstatOrUndefined(path);
  if (st === undefined) return false;
  if (!st.isSocket())
    throw new UntrustedError(`${path} is not a socket (${mode(st)}): move it away`);
  if (st.uid !== uid && st.uid !== 0)
    throw new UntrustedError(
      `${path} belongs to ${describeUid(st.uid)}, not to ${describeTrusted(uid)}: ` +
        `another user planted it, and its answers cannot be trusted; remove it ` +
        `("rm ${path}") and check who can write in ${dirname(path)}`,
    );
  return true;
}

/**
 * Makes the home and its `logs/` for a daemon of uid `uid` (mode 0700 where new), then checks
 * what is there: parents, then each directory, owned by `uid` alone. A directory of ours that
 * others may read (made by hand) is closed to 0700: the logs are for the user and root.
 * @throws UntrustedError; fs errors of mkdir/chmod (EACCES, EROFS...) with `code` set
 */
export function makeOwnHome(home: string, logDir: string, uid: number): void {
  checkParents(home, [uid]);
  // Checked before mkdir too: a home that is a link to another user's directory is not touched.
  checkOwnDir(home, [uid]);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  for (const dir of [home, logDir]) {
    if (!checkOwnDir(dir, [uid])) mkdirSync(dir, { mode: 0o700 });
    // mkdir(2) leaves a link or another user's directory made meanwhile as it is: check again.
    checkOwnDir(dir, [uid]);
    if ((lstatSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  }
}
