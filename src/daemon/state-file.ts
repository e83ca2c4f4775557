// state.json: what a daemon must leave for the next one to take its services back (adoption
// after a crash or an upgrade). Written atomically (temp file, fsync, rename, fsync of the
// directory), so a reader sees the old state or the new one, never a mix.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ServiceSpec } from '../config/types.js';
import { MIB, readRegularFile, UnfitFileError } from '../effects/files/regular-file.js';
import type { InstanceRecord } from '../runtime/instance-record.js';
import { errnoOf } from '../effects/ffi/errno.js';

/** The version of the file's shape; a file of another version is not read. */
export const STATE_FORMAT = 1;

/**
 * The largest state.json read, in bytes (about 40,000 services' worth); a larger one, or one
 * that is not a regular file, is corrupt.
 */
export const STATE_LIMIT_BYTES = 64 * MIB;

/** The services of one daemon, as the file keeps them. */
export interface SavedService {
  /** The definition the service ran with (as validated from the config then). */
  spec: ServiceSpec;
  instances: InstanceRecord[];
}

/** The whole of state.json. */
export interface DaemonState {
  format: typeof STATE_FORMAT;
  /** The warden version that wrote it. */
  warden: string;
  daemonPid: number;
  /** When it was written (ms since the epoch). */
  savedAt: number;
  /** The config file the daemon ran, or null. */
  config: string | null;
  services: SavedService[];
}

/** The outcome of reading state.json. */
export type StateRead =
  | { kind: 'none' }
  | { kind: 'ok'; state: DaemonState }
  /** Unreadable, truncated, of another format, or failing its checksum: `why` says which. */
  | { kind: 'corrupt'; why: string };

const int = z.number().int().nonnegative();
const processRecord = z.object({
  pid: int.min(1),
  startTime: int,
  startedAt: z.number(),
  spawnedAs: z.string(),
  tree: z.union([z.object({ cgroup: z.string() }), z.object({ marker: z.string() })]),
  pipes: z.object({ stdout: int, stderr: int }).nullable(),
});
const instanceRecord = z.object({
  name: z.string(),
  index: int,
  current: z.looseObject({
    state: z.enum(['stopped', 'starting', 'running', 'stopping', 'backoff', 'failed', 'exited']),
    since: z.number(),
  }),
  restarts: int,
  consecutiveFailures: int,
  failedStarts: z.array(z.number()),
  lastExit: z.looseObject({}).nullable(),
  // Came with tasks: a record written before has none.
  runStartedAt: z.number().nullable().default(null),
  process: processRecord.nullable(),
});
const fileShape = z.object({
  format: z.literal(STATE_FORMAT),
  warden: z.string(),
  daemonPid: int,
  savedAt: z.number(),
  config: z.string().nullable(),
  services: z.array(
    z.object({
      // `listen` came later: a spec recorded before it has none.
      spec: z.looseObject({
        name: z.string(),
        instances: int.min(1),
        listen: z.array(z.unknown()).default([]),
        // `health` and `watch` came later too.
        health: z.unknown().default(null),
        watch: z.unknown().default(null),
        schedule: z.unknown().default(null),
        // `kind` and `on_exit` came later too.
        kind: z.enum(['service', 'task']).default('service'),
        onExit: z.enum(['continue', 'shutdown']).default('continue'),
      }),
      instances: z.array(instanceRecord),
    }),
  ),
  checksum: z.string(),
});

function checksum(state: DaemonState): string {
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

// A new file of our own, never a link or a file someone left at the temp path.
const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Reads and checks state.json at `path`: its JSON, its shape and its checksum (which a
 * truncated or hand-edited file fails). A FIFO, a device, a symbolic link (never followed) or a
 * file over {@link STATE_LIMIT_BYTES} is corrupt, and never waited on. Never throws.
 */
export async function readState(path: string): Promise<StateRead> {
  let text: string;
  try {
    // A link there was not written by a daemon (writeState renames a file into place).
    text = await readRegularFile(path, STATE_LIMIT_BYTES, { noFollow: true });
  } catch (error) {
    if (error instanceof UnfitFileError) return { kind: 'corrupt', why: error.message };
    const code = errnoOf(error) ?? String(error);
    return code === 'ENOENT' ? { kind: 'none' } : { kind: 'corrupt', why: `cannot read: ${code}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may be binary: say only where it broke.
    return { kind: 'corrupt', why: `not valid JSON (${text.length} characters)` };
  }
  const parsed = fileShape.safeParse(json);
  if (!parsed.success) return { kind: 'corrupt', why: z.prettifyError(parsed.error) };
  // The checks above are of the shape; the checksum (of the file's own key order, which the
  // parse does not keep) vouches for every value inside it.
  const { checksum: sum, ...raw } = json as Record<string, unknown>;
  const state = raw as unknown as DaemonState;
  if (checksum(state) !== parsed.data.checksum || sum !== parsed.data.checksum)
    return { kind: 'corrupt', why: 'checksum mismatch' };
  return { kind: 'ok', state };
}

/**
 * Writes `state` to `path` atomically: a temp file beside it (mode 0600, created O_EXCL after
 * removing whatever a dead daemon of the same pid left there), fsync, rename over `path`, fsync
 * of the directory. @throws the fs error (ENOSPC, EACCES...); `path` is then as it was
 */
export async function writeState(path: string, state: DaemonState): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const body = JSON.stringify({ ...state, checksum: checksum(state) });
  const file = await createNew(temp);
  try {
    await file.writeFile(body);
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await file.close();
  await rename(temp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

// O_EXCL; a file left by a dead daemon of the same pid (or planted) is removed, not written into.
async function createNew(path: string): Promise<FileHandle> {
  try {
    return await open(path, CREATE_FLAGS, 0o600);
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw error;
    await unlink(path);
    return open(path, CREATE_FLAGS, 0o600);
  }
}

/**
 * Keeps state.json current: `schedule()` after any change; changes of one turn of the event loop
 * are written together, one write at a time, the last state always written last.
 */
export class StateSaver {
  #pending = false;
  #writing: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => DaemonState,
    private readonly onError: (message: string) => void,
  ) {}

  /** Writes the state soon (coalesced). */
  schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    if (this.#writing === undefined) setImmediate(() => void this.#drain());
  }

  /** Resolves once everything scheduled so far is written. */
  async flush(): Promise<void> {
    if (this.#pending && this.#writing === undefined) await this.#drain();
    while (this.#writing !== undefined) await this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#pending) {
      this.#pending = false;
      this.#writing = writeState(this.path, this.snapshot()).catch((error: unknown) =>
        this.onError(`cannot write ${this.path}: ${String(error)}; services run on`),
      );
      await this.#writing;
      this.#writing = undefined;
    }
  }
}
