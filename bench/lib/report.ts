// The figures of a benchmark run, one value per contender per run, and what is made of them: a
// table on stdout, bench/results.json, and the generated part of docs/benchmarks.md.
import { cpus, release, totalmem } from 'node:os';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { formatSpread, spreadOf, type Spread } from './stats.js';

/** What a figure measures and the target it has, if any. */
export interface FigureDef {
  key: string;
  label: string;
  unit: string;
  digits: number;
  /** At most this warden/PM2 ratio (median over the runs). */
  ratioMax?: number;
  /** At most this for warden itself (median), in `unit`. */
  wardenMax?: number;
}

/** One figure's values: `[run]` for each side. */
interface Values {
  def: FigureDef;
  warden: (number | undefined)[];
  pm2: (number | undefined)[];
}

/** A figure summarised over the runs. */
export interface Summary {
  def: FigureDef;
  warden: Spread;
  pm2: Spread;
  /** warden / PM2 of the same run. */
  ratio: Spread;
  /** Whether the target is met (undefined without a target). */
  isMet: boolean | undefined;
}

/** The machine, as docs/benchmarks.md states it. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  pm2: string;
}

export function describeMachine(pm2PackageJson: string): Machine {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return {
    cpu: model?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    pm2: (JSON.parse(readFileSync(pm2PackageJson, 'utf8')) as { version: string }).version,
  };
}

export class Results {
  readonly #figures = new Map<string, Values>();

  constructor(readonly defs: readonly FigureDef[]) {}

  /** Records `value` of `side` in run `run` (0-based) for figure `key`. */
  record(key: string, side: 'warden' | 'pm2', run: number, value: number): void {
    const def = this.defs.find((d) => d.key === key);
    if (def === undefined) throw new Error(`unknown figure ${key}`);
    const v = this.#figures.get(key) ?? { def, warden: [], pm2: [] };
    v[side][run] = value;
    this.#figures.set(key, v);
  }

  /** Every recorded figure, in the order of `defs`. */
  summaries(): Summary[] {
    return this.defs.flatMap((def) => {
      const v = this.#figures.get(def.key);
      if (v === undefined) return [];
      const present = (xs: (number | undefined)[]): number[] =>
        xs.filter((x): x is number => x !== undefined);
      const ratios = v.warden.flatMap((w, run) => {
        const p = v.pm2[run];
        return w === undefined || p === undefined || p === 0 ? [] : [w / p];
      });
      const s = {
        def,
        warden: spreadOf(present(v.warden)),
        pm2: spreadOf(present(v.pm2)),
        ratio: spreadOf(ratios),
      };
      return [{ ...s, isMet: isMet(s) }];
    });
  }
}

function isMet(s: Omit<Summary, 'isMet'>): boolean | undefined {
  if (s.def.ratioMax !== undefined) return s.ratio.median <= s.def.ratioMax;
  if (s.def.wardenMax !== undefined) return s.warden.median <= s.def.wardenMax;
  return undefined;
}

function target(def: FigureDef): string {
  if (def.ratioMax !== undefined) return `<= ${def.ratioMax}`;
  if (def.wardenMax !== undefined) return `warden < ${def.wardenMax} ${def.unit}`;
  return '';
}

/** The table as Markdown (also what is printed). */
export function renderTable(summaries: readonly Summary[]): string {
  const rows = summaries.map((s) => [
    `${s.def.label} (${s.def.unit})`,
    formatSpread(s.warden, s.def.digits),
    formatSpread(s.pm2, s.def.digits),
    formatSpread(s.ratio, 2),
    target(s.def),
    s.isMet === undefined ? '' : s.isMet ? 'met' : '**missed**',
  ]);
  const header = ['figure', 'warden', 'PM2', 'warden / PM2', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Writes `text` to `path` as Prettier lays it out (`npm test` checks the format of the repo). */
async function writeFormatted(path: string, text: string): Promise<void> {
  const options = { ...(await resolveConfig(path)), filepath: path };
  writeFileSync(`${path}.tmp`, await format(text, options));
  renameSync(`${path}.tmp`, path);
}

/** Writes `value` as JSON to `path` (through a temp file: a reader never sees half of it). */
export function writeJson(path: string, value: unknown): Promise<void> {
  return writeFormatted(path, JSON.stringify(value));
}

const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these marks) -->';
const END = '<!-- bench:end -->';

/** Replaces the generated part of the Markdown file `path` (between the marks) with `body`. */
export function writeGenerated(path: string, body: string): Promise<void> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  }
  const from = text.indexOf(BEGIN);
  const to = text.indexOf(END);
  if (from === -1 || to === -1)
    throw new Error(`${path}: the marks ${BEGIN} ... ${END} are missing`);
  return writeFormatted(path, `${text.slice(0, from + BEGIN.length)}\n${body}\n${text.slice(to)}`);
}
