// A fast proof that the process answering on the control socket is the daemon of this home, or
// at least runs as root or the caller's uid: it knows the key in `warden.key`, a file of the
// home readable only by its owner (root or the caller). The daemon writes a new random key at
// each start, before it listens; the client sends a random nonce (`prove`) and checks the
// HMAC-SHA256 of it under that key. Only a process that can read the file can answer, and only
// root or its owner can read it; another uid's process cannot relay the question to the real
// daemon either (the daemon answers no other uid). When the proof is not given (no key, a daemon
// of an older version, a key file that is not the caller's) the client reads the peer's
// credentials (SO_PEERCRED) instead, as before: the proof saves loading an FFI library (koffi,
// 25-40 ms) in the CLI, it decides nothing that check would not decide the same way.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
/** Bytes of the key and of a nonce. */
const KEY_BYTES = 32;
/** How long the client waits for the proof before it reads SO_PEERCRED instead (ms). */
export const PROOF_WAIT_MS = 2000;

/** The key file of the control socket at `socketPath`. */
export function proofKeyPath(socketPath: string): string {
  return join(dirname(socketPath), PROOF_KEY_FILE);
}

/** The proof of `nonce` (hex) under `key`: HMAC-SHA256, hex. */
export function proofOf(key: Buffer, nonce: string): string {
  return createHmac('sha256', key).update(`warden-proof:${nonce}`).digest('hex');
}

/**
 * Writes a new random key to `path` (mode 0600, through a temp file renamed over the old one: a
 * client never reads half a key), for the daemon, before it listens.
 * @returns the key
 * @throws a Node fs error (EACCES, ENOSPC...)
 */
export function writeProofKey(path: string): Buffer {
  const key = randomBytes(KEY_BYTES);
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
 * `prove` request (id 0) and reads its answer line. The socket is left paused with nothing of
 * the next answers consumed; the caller's reader resumes it.
 * @returns true when the proof is right; false for a wrong one, an error answer (a daemon that
 * has no `prove`), a closed connection, or no answer within `waitMs`
 */
export function askProof(socket: Socket, key: Buffer, waitMs = PROOF_WAIT_MS): Promise<boolean> {
  const nonce = randomBytes(KEY_BYTES).toString('hex');
  const expected = Buffer.from(proofOf(key, nonce), 'hex');
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
    socket.write(`${JSON.stringify({ id: 0, method: 'prove', params: { nonce } })}\n`);
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

// Whether the answer line carries the expected proof.
function isProof(line: string, expected: Buffer): boolean {
  try {
    const answer = JSON.parse(line) as { id?: unknown; result?: { proof?: unknown } };
    const proof = answer.id === 0 ? answer.result?.proof : undefined;
    if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) return false;
    return timingSafeEqual(Buffer.from(proof, 'hex'), expected);
  } catch {
    return false;
  }
}
