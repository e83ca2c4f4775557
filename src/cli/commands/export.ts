// `warden export systemd|kubernetes`: the config as systemd units (one per service, a template
// unit for several instances) or Kubernetes Deployments, with every key that has no exact
// equivalent listed on stderr, never dropped without a word.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ConfigSource } from '../../config/document.js';
import { interpolate } from '../../config/variables.js';
import type { ServiceSpec } from '../../config/types.js';
import { CliError, type GlobalOptions } from '../context.js';
import { EXIT, print, printError } from '../output.js';
import { exportUnit, EXPORT_MARK, type WrittenService } from './export-systemd-unit.js';
import { exportDeployment } from './export-kubernetes-objects.js';
import { readConfigOrExit } from './lifecycle.js';

/** Options of `export systemd`. */
export interface ExportSystemdOptions extends GlobalOptions {
  file: string;
  dir?: string;
  user?: boolean;
  prefix?: string;
}

/**
 * `warden export systemd`: prints the units (stdout, each after a `# ==> NAME <==` line), or
 * with `--dir` writes them there, never over a file it did not write (exit 2). The keys without
 * an exact systemd equivalent go to stderr. @returns the exit code
 */
export async function exportSystemd(options: ExportSystemdOptions): Promise<number> {
  const { config, source } = await readConfigOrExit(options.file);
  const target = {
    user: options.user === true,
    prefix: options.prefix ?? '',
    systemdVersion: systemdVersion(),
    configDir: dirname(config.path),
  };
  const all = new Map<string, ServiceSpec>(config.services.map((s) => [s.name, s]));
  const written = writtenServices(source, target.configDir);
  const units = config.services.map((s) => exportUnit(s, written[s.name] ?? {}, all, target));
  for (const loss of units.flatMap((u) => u.losses)) printError(`export: ${loss}`);
  const files = units.flatMap((u) => [u, ...u.extra]);
  if (options.dir === undefined) {
    process.stdout.write(files.map((u) => `# ==> ${u.file} <==\n${u.text}`).join('\n'));
    return EXIT.ok;
  }
  writeFiles(options.dir, files, EXPORT_MARK);
  const enable = units.flatMap((u) => u.enable).join(' ');
  const systemctl = target.user ? 'systemctl --user' : 'systemctl';
  print(`wrote ${files.map((u) => join(options.dir ?? '.', u.file)).join(', ')}`);
  print(
    `install: copy them to ${target.user ? '~/.config/systemd/user/' : '/etc/systemd/system/'}, then`,
  );
  print(`  ${systemctl} daemon-reload && ${systemctl} enable --now ${enable}`);
  return EXIT.ok;
}

// Writes each file in `dir`, none if one of them exists without `mark` on its first line.
function writeFiles(dir: string, files: { file: string; text: string }[], mark: string): void {
  mkdirSync(dir, { recursive: true });
  const foreign = files
    .map((u) => join(dir, u.file))
    .filter((path) => existsSync(path) && !readFileSync(path, 'utf8').startsWith(mark));
  if (foreign.length > 0)
    throw new CliError(
      `${foreign.join(', ')} exists and was not written by "warden export": nothing was written; remove it or choose another --dir or --prefix`,
      EXIT.usage,
    );
  for (const u of files) {
    const path = join(dir, u.file);
    writeFileSync(`${path}.tmp`, u.text, { mode: 0o644 });
    renameSync(`${path}.tmp`, path);
  }
}

// The version of the systemd here (`systemctl --version`: "systemd 252 (252.39-1~deb12u1)"),
// which decides whether RestartSteps= exists; null without systemctl.
function systemdVersion(): number | null {
  const out = spawnSync('systemctl', ['--version'], { encoding: 'utf8' });
  const match = /^systemd (\d+)/.exec(out.stdout ?? '');
  return match === null ? null : Number(match[1]);
}

// What the file says of each service (names as written), from the checked document. With
// `configDir`, `env_file` has its variables replaced (as the config was read here) and is made
// absolute against the directory of the file that defines the service (`include`).
function writtenServices(source: ConfigSource, configDir?: string): Record<string, WrittenService> {
  const services = (source.document as { services?: unknown } | null)?.services;
  if (typeof services !== 'object' || services === null) return {};
  return Object.fromEntries(
    Object.entries(services as Record<string, WrittenService>).map(([name, written]) => {
      if (written.env_file === undefined || configDir === undefined) return [name, written];
      const path = interpolate(written.env_file, (v) => process.env[v]);
      const dir = source.dirs?.[name] ?? configDir;
      return [
        name,
        { ...written, env_file: resolve(dir, path.ok ? path.value : written.env_file) },
      ];
    }),
  );
}

/** Options of `export kubernetes`. */
export interface ExportKubernetesOptions extends GlobalOptions {
  file: string;
  dir?: string;
  image?: string;
  prefix?: string;
}

/**
 * `warden export kubernetes`: a Deployment per service as YAML documents on stdout, or with
 * `--dir` one `NAME.yaml` per service there, never over a file it did not write (exit 2). The
 * keys without an exact equivalent go to stderr. @returns the exit code
 */
export async function exportKubernetes(options: ExportKubernetesOptions): Promise<number> {
  const { config, source } = await readConfigOrExit(options.file);
  const { stringify } = await import('yaml');
  const written = writtenServices(source);
  const target = { image: options.image ?? null, prefix: options.prefix ?? '' };
  const objects = config.services.map((s) => exportDeployment(s, written[s.name] ?? {}, target));
  for (const loss of objects.flatMap((o) => o.losses)) printError(`export: ${loss}`);
  const files = objects.map((o) => ({
    file: `${o.name}.yaml`,
    text: `${KUBERNETES_MARK} from service ${o.name}.\n${stringify(o.object, { aliasDuplicateObjects: false })}`,
  }));
  if (options.dir === undefined) {
    process.stdout.write(files.map((f) => f.text).join('---\n'));
    return EXIT.ok;
  }
  writeFiles(options.dir, files, KUBERNETES_MARK);
  print(`wrote ${files.map((f) => join(options.dir ?? '.', f.file)).join(', ')}`);
  print(`apply: kubectl apply -f ${options.dir}`);
  return EXIT.ok;
}

const KUBERNETES_MARK = '# Exported by `warden export kubernetes`';
