// What state.json keeps of each instance, so that a later daemon can take it back: its model
// (state and counters) and, while it has one, the identity of its process and tree.
import type { InstanceModel } from '../core/instance.js';
import type { TreeIdentity } from '../effects/containment/containment.js';
import type { OutputPipes } from '../effects/spawn/output-pipes.js';

/** The main process of an instance and what holds its tree. */
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

/** One instance in state.json: its model (less the service name) and its process. */
export type InstanceRecord = Omit<InstanceModel, 'service'> & {
  /** While the instance has a main process; else null. */
  process: ProcessRecord | null;
};
