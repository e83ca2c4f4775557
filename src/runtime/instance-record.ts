// What state.json keeps of each instance, so that a later daemon can take it back: its model
// (state and counters) and, while it has one, the identity of its process and tree.
import type { InstanceModel } from '../core/instance.js';
import type { ProcessRecord } from '../effects/containment/leftovers.js';

/** One instance in state.json: its model (less the service name) and its process. */
export type InstanceRecord = Omit<InstanceModel, 'service'> & {
  /** While the instance has a main process; else null. */
  process: ProcessRecord | null;
};
