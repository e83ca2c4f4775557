// A fast proof that the process answering on the control socket is the daemon of this home, or
// at least runs as root or the caller's uid: it knows the key in `warden.key`, a file of the
// home readable only by its owner (root or the caller). The daemon writes a new random key at
// each start, before it listens, and tells it to whoever asks (`prove`): it answers only root and
// its own uid, who can read the file anyway. A process of another uid listening in its place
// cannot read the key, nor get it from the real daemon. When the proof is not given (no key, a
// daemon of an older version, a key file that is not the caller's) the client reads the peer's
// credentials (SO_PEERCRED) instead, as before: the proof saves loading an FFI library (koffi)
// in the CLI, and decides nothing that check would not decide the same way. It needs no
// node:crypto either (a keyed hash would cost the CLI ~5 ms of module loading): the key comes
// from /dev/urandom and is compared in constant time.
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';

/** The key's file name in the home (beside `warden.sock`). */
export const PROOF_KEY_FILE = 'warden.key';
/** Bytes of the key. */
const KEY_BYTES = 32;
/** How long the client waits for the proof before it reads SO_PEERCRED instead (ms). */
export const PROOF_WAIT_MS = 2000;

/** The key file of the control socket at `socketPath`. */
export function proofKeyPath(socketPath: string): string {
  return join(dirname(socketPath), PROOF_KEY_FILE);
}

/** What `prove` answers with `key`: the key, hex. */
export function proofOf(key: Buffer): string {
  return key.toString('hex');
}

/**
 * Writes a new random key to `path` (mode 0600, through a temp file renamed over the old one: a
 * client never reads half a key), for the daemon, before it listens.
 * @returns the key
 * @throws a Node fs error (EACCES, ENOSPC...)
 */
export function writeProofKey(path: string): Buffer {
  const key = Buffer.alloc(KEY_BYTES);
  const random = openSync('/dev/urandom', constants.O_RDONLY);
  try {
    if (readSync(random, key, 0, KEY_BYTES, null) !== KEY_BYTES)
      throw new Error('/dev/urandom gave fewer bytes than asked');
  } finally {
    closeSync(random);
  }
  const temp = `${path}.new`;
  rmSync(temp, { force: true });
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = openSync(temp, flags, 0o600);
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  return key;
}

/** Removes the key (the daemon's end). */
export function removeProofKey(path: string): void {
  rmSync(path, { force: true });
}

/**
 * The key at `path` if it can vouch for a daemon to a client of uid `uid`: a regular file (not
 * followed if a link), owned by root or `uid`, readable by its owner alone, of the key's size.
 * @returns the key, or undefined when there is none that can
 */
export function readProofKey(path: string, uid: number): Buffer | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted there does not hold the client.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const isFit = st.isFile() && (st.uid === uid || st.uid === 0) && (st.mode & 0o077) === 0;
    if (!isFit || st.size !== KEY_BYTES) return undefined;
    const key = Buffer.alloc(KEY_BYTES);
    return readSync(fd, key, 0, KEY_BYTES, 0) === KEY_BYTES ? key : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Asks the daemon on `socket` (connected, nothing sent yet) to prove it knows `key`: sends one
 * `prove` request (id 0, nothing of the caller's) and reads its answer line. The socket is left paused with nothing of
 * the next answers consumed; the caller's reader resumes it.
 * @returns true when the proof is right; false for a wrong one, an error answer (a daemon that
 * has no `prove`), a closed connection, or no answer within `waitMs`
 */
export function askProof(socket: Socket, key: Buffer, waitMs = PROOF_WAIT_MS): Promise<boolean> {
  const expected = proofOf(key);
  return new Promise((resolve) => {
    let text = '';
    const done = (proven: boolean, rest?: Buffer): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (rest !== undefined && rest.length > 0) socket.unshift(rest);
      resolve(proven);
    };
    const onData = (chunk: Buffer): void => {
      const end = chunk.indexOf(0x0a);
      if (end === -1) {
        text += chunk.toString('utf8');
        if (text.length > 4096) done(false);
        return;
      }
      text += chunk.toString('utf8', 0, end);
      const rest = chunk.subarray(end + 1);
      const proven = isProof(text, expected);
      // Any other answer than ours (a refusal for every request: `id` null) is the caller's.
      done(proven, proven || isOurs(text) ? rest : Buffer.concat([Buffer.from(`${text}\n`), rest]));
    };
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(`${JSON.stringify({ id: 0, method: 'prove', params: {} })}\n`);
  });
}

// Whether the answer line answers the `prove` request (id 0), rightly or not.
function isOurs(line: string): boolean {
  try {
    return (JSON.parse(line) as { id?: unknown }).id === 0;
  } catch {
    return false;
  }
}

// Whether the answer line carries the expected proof (compared in constant time).
function isProof(line: string, expected: string): boolean {
  try {
    const answer = JSON.parse(line) as { id?: unknown; result?: { proof?: unknown } };
    const proof = answer.id === 0 ? answer.result?.proof : undefined;
    if (typeof proof !== 'string' || proof.length !== expected.length) return false;
    let differ = 0;
    for (let i = 0; i < expected.length; i++)
      differ |= proof.charCodeAt(i) ^ expected.charCodeAt(i);
    return differ === 0;
  } catch {
    return false;
  }
}
