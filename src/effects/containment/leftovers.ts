// Finding the process trees an earlier daemon of this home started, whatever state.json says
// (missing, stale after a full disk, corrupt, or written by someone else): the proof is in the
// processes themselves. Every instance is born with its intent recorded before exec: its leaf
// cgroup (cgroup mode) and the WARDEN_INVOCATION marker naming this home and the definition it
// was started from (both modes), beside WARDEN_SERVICE and WARDEN_INSTANCE.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CgroupLeaf } from './cgroup/cgroup.js';
import type { TreeIdentity } from './containment.js';
import type { OutputPipes } from '../spawn/output-pipes.js';
import { isDead, readProc, scanProcs, type ProcInfo } from './proc.js';

/** The environment variable that marks every process of one spawn (inherited unless scrubbed). */
export const INVOCATION_VAR = 'WARDEN_INVOCATION';

/**
 * A marker value for one spawn: `HOMEID.SPAWNEDAS.NONCE`, where HOMEID names the daemon's home
 * (12 hex digits of its sha256), SPAWNEDAS is the definition's spawnIdentity and NONCE is random,
 * so that no two spawns share one.
 */
export function invocationValue(homeId: string, spawnedAs: string): string {
  return `${homeId}.${spawnedAs}.${randomBytes(8).toString('hex')}`;
}

/** What a marker value says; undefined when it is not one of `homeId`'s. */
export function parseInvocation(
  value: string | undefined,
  homeId: string,
): { spawnedAs: string } | undefined {
  const parts = value?.split('.');
  if (parts?.length !== 3 || parts[0] !== homeId) return undefined;
  return { spawnedAs: parts[1] ?? '' };
}

/** The main process of an instance and what holds its tree (state.json keeps one per instance). */
export interface ProcessRecord {
  pid: number;
  /**
   * Field 22 of /proc/PID/stat (clock ticks since boot): with the pid it names one process, so a
   * recycled pid is never taken for it.
   */
  startTime: number;
  /** When it was spawned (ms since the epoch). */
  startedAt: number;
  /** spawnIdentity of the definition it was started from (a reload restarts it on a change). */
  spawnedAs: string;
  tree: TreeIdentity;
  /** Its stdout and stderr pipes; null when unknown. */
  pipes: OutputPipes | null;
}

/**
 * One process tree an earlier daemon of this home left running, found in the system: its main
 * process (the session leader that carries the marker, else its oldest process; `startedAt` from
 * the boot time and its start time; `spawnedAs` '' when unknown; `pipes` when both are pipes).
 */
export interface LeftoverTree extends ProcessRecord {
  /** The service and instance index it was started for; null when nothing tells. */
  service: string | null;
  index: number | null;
  /** Every live process of the tree when it was found (pid and start time). */
  members: { pid: number; startTime: number }[];
}

/**
 * Every populated leaf under the cgroup `base`, as a leftover tree: any process in a leaf of this
 * home's base is this home's. The instance is read from the main process's environment, else
 * from the leaf's name (`web@1~2` is web:1).
 */
export function cgroupLeftovers(base: string, homeId: string): LeftoverTree[] {
  let names: string[];
  try {
    names = readdirSync(base, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
  const found: LeftoverTree[] = [];
  for (const name of names) {
    const leaf = new CgroupLeaf(join(base, name));
    if (!leaf.isPopulated()) continue;
    const procs = leaf.procs().flatMap((pid) => live(readProc(pid)));
    const main = oldest(procs);
    if (main === undefined) continue;
    const env = environOf(main.pid);
    const fromName = instanceOfLeaf(name);
    found.push(
      describe(main, procs, { cgroup: leaf.path }, env, homeId, {
        service: env.get('WARDEN_SERVICE') ?? fromName.service,
        index: indexOf(env.get('WARDEN_INSTANCE')) ?? fromName.index,
      }),
    );
  }
  return found;
}

/**
 * Every process tree that carries a marker of `homeId` (process-group mode): processes are
 * grouped by marker value, one tree per spawn. Reads the environment of every process it may
 * (its own user's, or all as root), once, at start-up.
 */
export function groupLeftovers(homeId: string): LeftoverTree[] {
  const prefix = `${INVOCATION_VAR}=${homeId}.`;
  const trees = new Map<string, { procs: ProcInfo[]; env: Map<string, string> }>();
  const procs = scanProcs().filter((p) => !isDead(p));
  const alive = new Set(procs.map((p) => p.pid));
  for (const p of procs) {
    // Reading an environment is the costly part: only session leaders (a main process is one,
    // and so is whatever called setsid) and processes whose session leader is gone (what a dead
    // main left). The rest of a live main's tree is found from it once it is taken back.
    if (p.pid === process.pid || (p.sid !== p.pid && alive.has(p.sid))) continue;
    const env = environOf(p.pid, prefix);
    const marker = env.get(INVOCATION_VAR);
    if (marker === undefined) continue;
    const tree = trees.get(marker) ?? { procs: [], env };
    tree.procs.push(p);
    // The main process is its session's leader (spawned with setsid); its environment tells.
    if (p.sid === p.pid) tree.env = env;
    trees.set(marker, tree);
  }
  const found: LeftoverTree[] = [];
  for (const [marker, { procs, env }] of trees) {
    const main = procs.find((p) => p.sid === p.pid) ?? oldest(procs);
    if (main === undefined) continue;
    found.push(
      describe(main, procs, { marker: `${INVOCATION_VAR}=${marker}` }, env, homeId, {
        service: env.get('WARDEN_SERVICE') ?? null,
        index: indexOf(env.get('WARDEN_INSTANCE')) ?? null,
      }),
    );
  }
  return found;
}

function describe(
  main: ProcInfo,
  procs: readonly ProcInfo[],
  tree: TreeIdentity,
  env: Map<string, string>,
  homeId: string,
  instance: { service: string | null; index: number | null },
): LeftoverTree {
  return {
    ...instance,
    pid: main.pid,
    startTime: main.startTime,
    startedAt: startedAtMs(main.startTime),
    spawnedAs: parseInvocation(env.get(INVOCATION_VAR), homeId)?.spawnedAs ?? '',
    tree,
    pipes: pipesOf(main.pid),
    members: procs.map((p) => ({ pid: p.pid, startTime: p.startTime })),
  };
}

function live(p: ProcInfo | undefined): ProcInfo[] {
  return p === undefined || isDead(p) ? [] : [p];
}

function oldest(procs: readonly ProcInfo[]): ProcInfo | undefined {
  let best: ProcInfo | undefined;
  for (const p of procs) {
    if (best === undefined || p.startTime < best.startTime) best = p;
    else if (p.startTime === best.startTime && p.pid < best.pid) best = p;
  }
  return best;
}

// `web@1~2` -> web, 1 (leafName turns `:` into `@`; `~N` is a second leaf of one instance).
function instanceOfLeaf(name: string): { service: string | null; index: number | null } {
  const bare = name.replace(/~\d+$/, '');
  if (bare.startsWith('probe-')) return { service: null, index: null };
  const at = bare.lastIndexOf('@');
  if (at === -1) return { service: bare, index: 0 };
  return { service: bare.slice(0, at), index: indexOf(bare.slice(at + 1)) ?? null };
}

function indexOf(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * The WARDEN_* entries of process `pid`'s initial environment (/proc/PID/environ); when
 * `mustHave` is given, none unless that text is in it. Empty when unreadable (gone, not ours).
 */
export function environOf(pid: number, mustHave?: string): Map<string, string> {
  const env = new Map<string, string>();
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return env; // gone, or not ours to read
  }
  if (mustHave !== undefined && !raw.includes(mustHave)) return env;
  for (const entry of raw.split('\0')) {
    if (!entry.startsWith('WARDEN_')) continue;
    const eq = entry.indexOf('=');
    if (eq > 0 && !env.has(entry.slice(0, eq))) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

function pipesOf(pid: number): OutputPipes | null {
  const inode = (fd: number): number | undefined => {
    try {
      const m = /^pipe:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m?.[1] === undefined ? undefined : Number(m[1]);
    } catch {
      return undefined;
    }
  };
  const stdout = inode(1);
  const stderr = inode(2);
  return stdout === undefined || stderr === undefined ? null : { stdout, stderr };
}

/** Clock ticks per second of /proc/PID/stat's start time (sysconf(_SC_CLK_TCK): 100 on Linux). */
const CLK_TCK = 100;
let bootMs: number | undefined;

// A start time in clock ticks after boot as ms since the epoch (btime of /proc/stat, proc(5)).
function startedAtMs(startTime: number): number {
  if (bootMs === undefined) {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    bootMs = btime === undefined ? 0 : Number(btime) * 1000;
  }
  return bootMs + (startTime * 1000) / CLK_TCK;
}
