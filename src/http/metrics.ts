// `GET /metrics`: what warden knows, in the Prometheus text format (docs/metrics.md), through
// prom-client. Names follow the Prometheus naming practices: one prefix (warden_), base units
// (seconds, bytes), `_total` for counters, one-hot states; no label of unbounded cardinality
// (no pid): labels are service and instance names of the config, states, reasons, streams.
import { readdirSync, statSync } from 'node:fs';
import { createRequire as requireFor } from 'node:module';
import type * as Prom from 'prom-client';
import { STATE_NAMES } from '../core/instance.js';
import type { InstanceStatus } from '../core/status.js';
import { InstanceCounters } from './instance-counters.js';
import { formatLabels, formatSampled, type Emit, type SampledMetric } from './sampled-metric.js';
import type { ObservedInstance, WardenSource } from './source.js';

/** Each state and its label as a sample of warden_instance_state appends it. */
const STATE_LABELS = STATE_NAMES.map((state) => [state, `,state="${state}"`] as const);

/** Spawn to `running`, seconds: min_uptime (1 s by default) and readiness checks of up to a minute. */
const READY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

/**
 * The CPU time of an instance's tree, seconds (its `status` figures: cgroup `cpu.stat`, or the
 * members' /proc times), counted from its last spawn: a counter that resets at each restart,
 * which rate() allows for. undefined for an instance without a live process.
 */
export type CpuSecondsOf = (status: InstanceStatus) => number | undefined;

const cpuFigures: CpuSecondsOf = (status) => status.tree?.cpuSeconds;

// prom-client's classes from their own modules, as its index would give them: the index also
// loads the Pushgateway (http, https, zlib) and cluster aggregation, and its process CPU metric
// loads @opentelemetry/api: 14 MB of the daemon's memory in all, against 1 MB this way
// (docs/benchmarks.md "Memory"). The package has no `exports` map; pinned ^15.
const load = requireFor(import.meta.url);
const Registry = load('prom-client/lib/registry.js') as typeof Prom.Registry;
const Counter = load('prom-client/lib/counter.js') as typeof Prom.Counter;
const Gauge = load('prom-client/lib/gauge.js') as typeof Prom.Gauge;
const Histogram = load('prom-client/lib/histogram.js') as typeof Prom.Histogram;

// prom-client's process_* metrics but CPU and the open fds (below). Not its nodejs_* ones: gauges
// named `_total` fail `promtool check metrics`, and the event-loop monitor would wake an idle
// daemon every 10 ms.
const PROCESS_METRICS = [
  'processStartTime', // process_start_time_seconds
  'osMemoryHeap', // process_resident_memory_bytes, process_virtual_memory_bytes, process_heap_bytes
  'processMaxFileDescriptors', // process_max_fds
];

function registerProcessMetrics(registry: Prom.Registry): void {
  for (const name of PROCESS_METRICS) {
    const register = load(`prom-client/lib/metrics/${name}.js`) as (
      registry: Prom.Registry,
      config: object,
    ) => void;
    register(registry, {});
  }
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers: [registry],
    collect() {
      const fds = openFds();
      if (fds !== undefined) this.set(fds);
    },
  });
  // The daemon's CPU time, named as prom-client's processCpuTotal names it (process.cpuUsage, µs).
  const cpu = (name: string, help: string, of: (u: NodeJS.CpuUsage) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(of(process.cpuUsage()) / 1e6);
      },
    });
  cpu('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', (u) => u.user);
  cpu(
    'process_cpu_system_seconds_total',
    'Total system CPU time spent in seconds.',
    (u) => u.system,
  );
  cpu(
    'process_cpu_seconds_total',
    'Total user and system CPU time spent in seconds.',
    (u) => u.user + u.system,
  );
}

/**
 * The daemon's open fds. Linux 6.2 and later give their number as the size of /proc/self/fd; an
 * older kernel says 0 there, and the directory is listed as prom-client lists it (less the fd of
 * the listing). The listing cost 2.5 ms of CPU per scrape with the 4000 fds of 1000 instances'
 * pipes. undefined where /proc cannot be read.
 */
function openFds(): number | undefined {
  try {
    const { size } = statSync('/proc/self/fd');
    return size > 0 ? size : readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/** One scrape's view of the instances, taken once and read by every collector. */
interface Snapshot {
  /** Each instance's status, and its labels formatted (`service="web",instance="web:0"`). */
  instances: readonly { status: InstanceStatus; labels: string }[];
}

/** The daemon's metrics registry. */
export interface WardenMetrics {
  /** The Content-Type of the exposition. */
  contentType: string;
  /**
   * Writes the exposition of every metric through `write`, in chunks of about 16 KB (the first
   * once every figure is read: an error thrown before it has written nothing).
   */
  scrape(write: (chunk: string) => void): Promise<void>;
  /** Stops following state changes. */
  close(): void;
}

/**
 * Builds the registry over `source`: it follows state changes from now on (counters that only
 * rise, the readiness histogram) and reads the rest at each scrape. prom-client's `process_*`
 * metrics describe the daemon itself.
 */
export function createMetrics(
  source: WardenSource,
  cpuSecondsOf: CpuSecondsOf = cpuFigures,
): WardenMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const registers = [registry];
  let snap: Snapshot = { instances: [] };

  const ready = new Histogram({
    name: 'warden_ready_seconds',
    help: 'Time from spawn to running (readiness check passed, or min_uptime reached), per start.',
    labelNames: ['service'],
    buckets: READY_BUCKETS,
    registers,
  });
  const counters = new InstanceCounters((inst, seconds) =>
    ready.observe({ service: inst.model.service }, seconds),
  );
  for (const inst of source.instances()) counters.observe(inst);
  let byName = new Map<string, ObservedInstance>();
  const unsubscribe = source.subscribe((event) => {
    let inst = byName.get(event.instance);
    if (inst === undefined) {
      byName = new Map(source.instances().map((i) => [i.name, i]));
      inst = byName.get(event.instance);
    }
    if (inst !== undefined) counters.observe(inst);
  });

  new Gauge({
    name: 'warden_build_info',
    help: 'Always 1; the labels tell the version of warden.',
    labelNames: ['version'],
    registers,
  }).set({ version: source.version }, 1);
  // Per instance: formatted by sampled-metric.ts, from the status taken once per scrape.
  const perInstance =
    (value: (s: InstanceStatus) => number | undefined) =>
    (emit: Emit): void => {
      for (const { labels, status } of snap.instances) {
        const v = value(status);
        if (v !== undefined) emit(labels, v);
      }
    };
  const sampled: SampledMetric[] = [
    {
      name: 'warden_instance_state',
      help: 'One-hot state of each instance: 1 for its current state, 0 for the others.',
      type: 'gauge',
      samples: (emit) => {
        for (const { labels, status } of snap.instances)
          for (const [state, suffix] of STATE_LABELS)
            emit(labels + suffix, state === status.state ? 1 : 0);
      },
    },
    {
      name: 'warden_instance_restarts_total',
      help: 'Automatic restarts (after an exit, by the restart policy) of each instance.',
      type: 'counter',
      samples: perInstance((s) => counters.restarts(s.name)),
    },
    {
      name: 'warden_instance_exits_total',
      help: 'Ends of each instance main process, by reason: exit, signal, stop, watchdog, health, ready_timeout, spawn_error, unknown.',
      type: 'counter',
      samples: (emit) => {
        for (const { labels, status } of snap.instances)
          for (const [reason, value] of counters.exits(status.name))
            emit(`${labels},reason="${reason}"`, value);
      },
    },
    {
      name: 'warden_instance_start_time_seconds',
      help: 'When the current main process of each instance was spawned, seconds since the epoch.',
      type: 'gauge',
      samples: perInstance((s) => (s.startedAt === null ? undefined : s.startedAt / 1000)),
    },
    {
      name: 'warden_instance_memory_bytes',
      help: "Resident memory of each instance's process tree (cgroup memory.current, or the sum of RSS).",
      type: 'gauge',
      samples: perInstance((s) => s.tree?.memoryBytes),
    },
    {
      name: 'warden_instance_processes',
      help: "Processes in each instance's tree.",
      type: 'gauge',
      samples: perInstance((s) => s.tree?.pids),
    },
    {
      name: 'warden_instance_cpu_seconds_total',
      help: "CPU time (user and system) of each instance's process tree.",
      type: 'counter',
      samples: perInstance(cpuSecondsOf),
    },
  ];
  new Counter({
    name: 'warden_log_lines_total',
    help: 'Lines captured from the services, by stream (out: stdout, err: stderr).',
    labelNames: ['service', 'stream'],
    registers,
    collect() {
      this.reset();
      for (const c of source.logCounts()) {
        this.inc({ service: c.service, stream: 'out' }, c.lines.out);
        this.inc({ service: c.service, stream: 'err' }, c.lines.err);
      }
    },
  });
  new Counter({
    name: 'warden_log_dropped_lines_total',
    help: 'Lines lost by the log files (write failures, a full queue), each also marked in the file.',
    labelNames: ['service'],
    registers,
    collect() {
      this.reset();
      for (const c of source.logCounts()) this.inc({ service: c.service }, c.droppedLines);
    },
  });

  return {
    contentType: registry.contentType,
    async scrape(write) {
      const instances = source.instances();
      for (const inst of instances) counters.observe(inst);
      counters.keepOnly(new Set(instances.map((i) => i.name)));
      snap = {
        instances: instances.map((inst) => {
          const status = inst.status();
          return {
            status,
            labels: formatLabels({ service: status.service, instance: status.name }),
          };
        }),
      };
      try {
        write(`${await registry.metrics()}\n`);
        formatSampled(sampled, write);
      } finally {
        snap = { instances: [] };
      }
    },
    close() {
      unsubscribe();
      registry.clear();
    },
  };
}
