// Whether the listener a tcp or http check reached is the instance's own: a check passes for
// the instance only when a process of its tree holds the listening socket (docs/config/ready.md).
import type { AttemptResult } from './attempt.js';
import { isLocalAddress, listeningInodes } from './listening-sockets.js';
import { findSocketHolder, holdsSocket, type SocketHolder } from './socket-holders.js';

/** The pids of the live processes of an instance's tree now (its InstanceTree.members()). */
export type TreeMembers = () => Iterable<number>;

/**
 * Judges a connection a check made to `address` (the peer address the kernel reports) on
 * `port`: true when it may count, else why not.
 */
export type OwnerCheck = (address: string, port: number) => AttemptResult;

/**
 * An OwnerCheck for the tree whose members `members` gives. A connection to another machine
 * counts as before (its listener cannot be seen from here). A local one counts only when a
 * member holds a listening socket that takes it (/proc/net/tcp{,6}, then /proc/PID/fd of each
 * member); else the answer names the holder (`port 3900 is held by pid 1234 (node), not by this
 * instance`), found by reading every process's fds once per listening socket, not per check.
 */
export function ownerCheck(members: TreeMembers): OwnerCheck {
  let named: { key: string; holder: SocketHolder } | undefined;
  return (address, port) => {
    if (!isLocalAddress(address)) return true;
    const inodes = new Set(listeningInodes(address, port));
    // A connect can succeed with no listener at all (a TCP self-connect on an ephemeral port).
    if (inodes.size === 0) return `port ${port} answered, but no socket listens on it here`;
    for (const pid of members()) if (holdsSocket(pid, inodes)) return true;
    const key = [...inodes].join(',');
    let holder = named?.key === key ? named.holder : undefined;
    if (holder === undefined || (holder !== 'hidden' && !holdsSocket(holder.pid, inodes))) {
      holder = findSocketHolder(inodes);
      named = { key, holder };
    }
    return holder === 'hidden'
      ? `port ${port} is held by another process, not by this instance`
      : `port ${port} is held by pid ${holder.pid} (${holder.comm}), not by this instance`;
  };
}
