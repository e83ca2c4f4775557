// One service of a warden config as a systemd service unit (systemd.service(5), systemd.exec(5),
// systemd.kill(5), systemd.unit(5)), and the list of what has no exact equivalent there.
import { isAbsolute, resolve } from 'node:path';
import type { ServiceSpec } from '../../config/types.js';
import { limitLines, socketUnits, type ExtraUnit } from './export-systemd-sockets.js';
import { timerUnit } from './export-systemd-timer.js';
import { execArg, quote, specifiers } from './startup-unit.js';

/** What the config file says of a service, as written (names rather than resolved ids). */
export interface WrittenService {
  env?: Record<string, unknown>;
  env_file?: string;
  user?: string | number;
  group?: string | number;
  groups?: (string | number)[];
  umask?: string;
  capabilities?: string[];
}

/** How the units are meant to be installed. */
export interface ExportTarget {
  /** Units for the user's own manager (`systemctl --user`). */
  user: boolean;
  /** Prepended to each service's name: `app-` makes `app-web.service`. */
  prefix: string;
  /** The version of the target systemd (from `systemctl --version`), or null when unknown. */
  systemdVersion: number | null;
  /** The directory of the config file, against which `env_file` resolves. */
  configDir: string;
}

/** A unit to write and what it could not say. */
export interface ExportedUnit {
  /** File name: `web.service`, or the template `web@.service` for several instances. */
  file: string;
  /**
   * The units to enable: `web.service`, or `web@0.service`, `web@1.service`..., its sockets; for
   * a scheduled task only its timer.
   */
  enable: string[];
  text: string;
  /** Its `listen` sockets as .socket units, its `schedule` as a .timer unit. */
  extra: ExtraUnit[];
  /** `services.web.ready: tcp check has no systemd equivalent; ...`, one per lossy key. */
  losses: string[];
}

/** The first line of every unit `export` writes: a rewrite replaces only those. */
export const EXPORT_MARK = '# Exported by `warden export systemd`';

/** systemd 254 added RestartSteps= and RestartMaxDelaySec= (systemd.service(5)). */
const RESTART_STEPS_SINCE = 254;

/** The unit name (without `.service`) of `service`, a template's when it has several instances. */
export function unitBase(spec: ServiceSpec, target: ExportTarget): string {
  return `${target.prefix}${spec.name}${spec.instances > 1 ? '@' : ''}`;
}

/** The units to enable for `spec`: one per instance. */
export function unitsOf(spec: ServiceSpec, target: ExportTarget): string[] {
  const base = unitBase(spec, target);
  if (spec.instances === 1) return [`${base}.service`];
  return Array.from({ length: spec.instances }, (_, i) => `${base}${i}.service`);
}

/**
 * The unit of `spec`. `all` gives the units of the services it depends on; `written` is what
 * the file says of it (for env_file, user and group names, umask, capability names).
 */
export function exportUnit(
  spec: ServiceSpec,
  written: WrittenService,
  all: ReadonlyMap<string, ServiceSpec>,
  target: ExportTarget,
): ExportedUnit {
  const losses: string[] = [];
  const lose = (key: string, what: string): void =>
    void losses.push(`services.${spec.name}.${key}: ${what}`);
  const unit: string[] = [`Description=${specifiers(`warden service ${spec.name}`)}`];
  const service: string[] = [];

  // `completed` (a task ended, whatever its status) only orders: Wants=, not Requires=, whose
  // failed start would fail this one too (systemd.unit(5)).
  const depsOf = (wanted: boolean) =>
    spec.dependsOn
      .filter((d) => (d.condition === 'completed') === wanted)
      .flatMap((d) => {
        const dep = all.get(d.service);
        return dep === undefined ? [] : unitsOf(dep, target);
      });
  const deps = depsOf(false);
  const wants = depsOf(true);
  if (deps.length > 0) unit.push(`Requires=${deps.join(' ')}`);
  if (wants.length > 0) unit.push(`Wants=${wants.join(' ')}`);
  if (deps.length + wants.length > 0) unit.push(`After=${[...deps, ...wants].join(' ')}`);
  const sockets = socketUnits(spec, unitBase(spec, target), EXPORT_MARK);
  const socketNames = sockets.map((s) => s.file).join(' ');
  if (sockets.length > 0) unit.push(`Requires=${socketNames}`, `After=${socketNames}`);
  if (sockets.length > 1)
    lose(
      'listen',
      'one socket unit per name: systemd passes their fds in its own order; find each by LISTEN_FDNAMES (sd_listen_fds_with_names(3))',
    );
  if (spec.dependsOn.some((d) => d.condition === 'started'))
    lose('depends_on', '`started` is exported as After=, which waits for readiness too');
  unit.push(
    `StartLimitBurst=${spec.startLimit.burst}`,
    `StartLimitIntervalSec=${seconds(spec.startLimit.intervalMs)}`,
  );

  const check = spec.ready?.check;
  const isTask = spec.kind === 'task';
  // A scheduled task: its timer starts it at its times, as often as they come.
  let timer: ExtraUnit | null = null;
  if (spec.schedule !== null && spec.instances > 1)
    lose('schedule', "no timer written: a timer starts one unit, not a template's instances");
  else if (spec.schedule !== null)
    timer = timerUnit(spec.schedule, unitBase(spec, target), EXPORT_MARK, lose);
  const notify = !isTask && (check?.kind === 'notify' || spec.watchdogMs !== null);
  // A task is a oneshot that stays active once done: a dependent's start does not run it again,
  // as under warden; a scheduled one does not, or its timer could start it only once. Its start
  // lasts as long as it runs (runtime_max, else no bound).
  if (isTask)
    service.push(
      'Type=oneshot',
      ...(spec.schedule === null ? ['RemainAfterExit=yes'] : []),
      `TimeoutStartSec=${spec.runtimeMaxMs === null ? 'infinity' : seconds(spec.runtimeMaxMs)}`,
    );
  else service.push(`Type=${notify ? 'notify' : 'exec'}`);
  // warden takes messages from any process of the instance's tree.
  if (notify) service.push('NotifyAccess=all');
  if (check !== undefined && check.kind !== 'notify')
    lose(
      'ready',
      `a ${check.kind} check has no systemd equivalent: the unit is started ${notify ? 'at READY=1 (watchdog)' : 'once its program is executed (Type=exec)'}`,
    );
  if (spec.ready !== null && !isTask)
    service.push(`TimeoutStartSec=${seconds(spec.ready.timeoutMs)}`);
  if (spec.health !== null)
    lose(
      'health',
      'no equivalent: systemd has no liveness probe (WatchdogSec= with sd_notify is the nearest)',
    );
  if (spec.watch !== null)
    lose(
      'watch',
      'no equivalent: restart the unit after a change (systemctl restart), or use a .path unit',
    );
  if (spec.onExit === 'shutdown')
    lose(
      'on_exit',
      'no equivalent for the other units: SuccessAction=/FailureAction= act on the whole system',
    );
  if (spec.watchdogMs !== null) service.push(`WatchdogSec=${seconds(spec.watchdogMs)}`);

  service.push(`ExecStart=${execStart(spec)}`, `WorkingDirectory=${specifiers(spec.cwd)}`);
  if (written.env_file !== undefined)
    service.push(`EnvironmentFile=${specifiers(resolve(target.configDir, written.env_file))}`);
  // `env` as resolved (it overrides env_file, as Environment= overrides EnvironmentFile=).
  for (const k of Object.keys(written.env ?? {}))
    service.push(`Environment=${quote(specifiers(`${k}=${spec.env[k] ?? ''}`))}`);
  service.push(`Environment=WARDEN_SERVICE=${specifiers(spec.name)}`);
  if (spec.instances > 1) service.push('Environment=WARDEN_INSTANCE=%i');
  if (sockets.length > 0) service.push(`Sockets=${socketNames}`);
  service.push(...limitLines(spec));

  if (written.user !== undefined) service.push(`User=${written.user}`);
  if (written.group !== undefined) service.push(`Group=${written.group}`);
  if (written.groups !== undefined && written.groups.length > 0)
    service.push(`SupplementaryGroups=${written.groups.join(' ')}`);
  if (written.umask !== undefined) service.push(`UMask=${written.umask.padStart(4, '0')}`);
  if (spec.privileges.noNewPrivileges) service.push('NoNewPrivileges=yes');
  if (written.capabilities !== undefined && written.capabilities.length > 0)
    service.push(`AmbientCapabilities=${written.capabilities.map(capName).join(' ')}`);

  // A oneshot may restart only on failure (systemd.service(5)).
  if (isTask && spec.restart === 'always')
    lose(
      'restart',
      '"always": a oneshot unit restarts only on-failure; a task that succeeded is done',
    );
  const restart = isTask && spec.restart === 'always' ? 'on-failure' : spec.restart;
  service.push(`Restart=${restart === 'never' ? 'no' : restart}`);
  service.push(`RestartSec=${seconds(spec.backoff.initialMs)}`);
  if (spec.backoff.maxMs > spec.backoff.initialMs) {
    if (target.systemdVersion !== null && target.systemdVersion >= RESTART_STEPS_SINCE) {
      const steps = Math.ceil(Math.log2(spec.backoff.maxMs / spec.backoff.initialMs));
      service.push(`RestartSteps=${steps}`, `RestartMaxDelaySec=${seconds(spec.backoff.maxMs)}`);
    } else {
      const version = target.systemdVersion === null ? 'unknown' : String(target.systemdVersion);
      lose(
        'backoff',
        `systemd ${version} has no growing restart delay (RestartSteps=, since 254): RestartSec= is the initial delay`,
      );
    }
  }
  lose('backoff.reset_after', 'no equivalent: systemd resets nothing after a run that held');
  if (spec.minUptimeMs > 0 && spec.ready === null)
    lose(
      'min_uptime',
      isTask
        ? 'no equivalent: a oneshot unit is started when its program ends, however soon'
        : 'no equivalent: a Type=exec unit is started once its program is executed',
    );

  // warden stops the whole tree with the stop signal, then SIGKILL: KillMode=control-group.
  service.push(
    `KillSignal=${spec.stopSignal}`,
    `TimeoutStopSec=${seconds(spec.stopTimeoutMs)}`,
    'KillMode=control-group',
  );
  lose('logs', "output goes to the journal (journalctl -u UNIT); warden's log files are not kept");

  const text = [
    `${EXPORT_MARK} from service ${spec.name}.`,
    '[Unit]',
    ...unit,
    '',
    '[Service]',
    ...service,
    '',
    // A scheduled task is started by its timer, not at boot.
    ...(timer === null
      ? ['[Install]', `WantedBy=${target.user ? 'default.target' : 'multi-user.target'}`, '']
      : []),
  ].join('\n');
  return {
    file: `${unitBase(spec, target)}.service`,
    enable: [
      ...(timer === null ? unitsOf(spec, target) : [timer.file]),
      ...sockets.map((s) => s.file),
    ],
    text,
    extra: [...sockets, ...(timer === null ? [] : [timer])],
    losses,
  };
}

// ExecStart=: the argv, its program made absolute when given relative to the cwd (systemd wants
// an absolute path or a bare name it looks up itself); a shell command through /bin/sh -c.
function execStart(spec: ServiceSpec): string {
  const argv =
    spec.command.kind === 'shell'
      ? ['/bin/sh', '-c', spec.command.script]
      : spec.command.argv.map((a, i) =>
          i === 0 && a.includes('/') && !isAbsolute(a) ? resolve(spec.cwd, a) : a,
        );
  return argv.map(execArg).join(' ');
}

function capName(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

// A duration in ms as systemd's time span: whole seconds, or ms below (systemd.time(7)).
function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
