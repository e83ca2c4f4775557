// The benchmarks' command-line options: `--name VALUE` numbers and `--only a,b` lists.

/** The number after `--name`, or `fallback` when the option is absent. @throws on a non-number */
export function numberArg(name: string, fallback: number, argv = process.argv): number {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}

/** The comma-separated names after `--only`, or undefined when the option is absent. */
export function onlyArg(argv = process.argv): string[] | undefined {
  const i = argv.indexOf('--only');
  return i === -1 ? undefined : (argv[i + 1] ?? '').split(',').filter((n) => n !== '');
}

/** True when `name` is selected by `--only` (everything is when it is absent). */
export function isSelected(only: string[] | undefined, name: string): boolean {
  return only === undefined || only.includes(name);
}
