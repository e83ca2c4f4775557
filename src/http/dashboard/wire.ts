// What the server's event streams carry, as the page reads it: the data of `event: figures` and
// `event: state` (src/http/events-sse.ts, the protocol's StateEvent) and `event: line`
// (src/http/logs-sse.ts). Times are ms since the epoch.

/** How an instance last ended (`status --json` `lastExit`). */
export type LastExit =
  | { code: number }
  | { signal: string; coreDumped: boolean; oom?: true; limit?: number }
  | { unknown: string }
  | { spawnError: string; path: string; message: string; detail?: string };

/** One instance in `event: figures`. */
export interface InstanceFigures {
  instance: string;
  service: string;
  state: string;
  pid: number | null;
  restarts: number;
  since: number;
  startedAt: number | null;
  nextRestartAt: number | null;
  reason: string | null;
  lastExit: LastExit | null;
  stderr: string[];
  tree: { cpuPercent: number | null; memoryBytes: number; pids: number } | null;
}

/** `event: figures`. */
export interface Figures {
  time: number;
  instances: InstanceFigures[];
}

/** `event: state`. */
export interface StateChange {
  time: number;
  instance: string;
  from: string;
  to: string;
  reason: string;
  pid: number | null;
}

/** `event: line`. */
export interface LogLine {
  service: string;
  instance: string;
  stream: 'out' | 'err';
  line: string;
  time: number;
}
