// What a client checks of the daemon it reached before it sends a request or believes an
// answer (docs/security.md): the socket's file, and who holds the other end: proven by the
// home's key (daemon-proof.ts), else read from the kernel (SO_PEERCRED).
import type { Socket } from 'node:net';
import {
  checkSocketFile,
  describeTrusted,
  describeUid,
  UntrustedError,
} from '../effects/files/home-trust.js';
import { askProof, PROOF_WAIT_MS, proofKeyPath, readProofKey } from './daemon-proof.js';

/**
 * Checks a connected control socket: its file at `path` is a socket owned by root or our uid
 * (lstat), and the process at the other end runs as root or our uid: it proves it knows the key
 * of the home (a file only root or we can read), or else its credentials say so (SO_PEERCRED,
 * socket(7)). The peer check is the one that holds even if the file was swapped after the lstat.
 * Before the proof, only its question is sent (a random nonce); nothing of the caller's.
 * @param proofWaitMs how long the proof is waited for before SO_PEERCRED is read instead (ms)
 * @returns undefined when the daemon can be trusted, else the refusal (the caller closes `socket`)
 */
export async function distrustDaemon(
  socket: Socket,
  path: string,
  proofWaitMs = PROOF_WAIT_MS,
): Promise<UntrustedError | undefined> {
  const me = process.getuid?.() ?? 0;
  try {
    checkSocketFile(path, me);
  } catch (error) {
    if (error instanceof UntrustedError) return error;
    throw error;
  }
  const key = readProofKey(proofKeyPath(path), me);
  if (key !== undefined && (await askProof(socket, key, proofWaitMs))) return undefined;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0)
    return new UntrustedError(`cannot read who listens on ${path}: the socket has no fd`);
  // Loaded here, not at start-up: koffi costs every CLI run ~10-25 ms, and most never connect.
  const { peerCredentials } = await import('../effects/ffi/fds.js');
  let peer;
  try {
    peer = peerCredentials(fd);
  } catch (error) {
    return new UntrustedError(`cannot read who listens on ${path}: ${String(error)}`);
  }
  if (peer.uid === me || peer.uid === 0) return undefined;
  return new UntrustedError(
    `the process listening on ${path} (pid ${peer.pid}) runs as ${describeUid(peer.uid)}, ` +
      `not as ${describeTrusted(me)}: it is not your daemon, and its answers cannot be ` +
      `trusted; stop it, remove ${path}, and check who can write in the home`,
  );
}
