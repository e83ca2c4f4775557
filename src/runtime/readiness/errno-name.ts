// errno numbers to names (ENOENT...), for sd_notify `ERRNO=` in the daemon log.
import { constants } from 'node:os';

const names = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n, name]),
);

/** The name of errno `n` on this platform (`ENOENT`), or `errno N` when unknown. */
export function errnoName(n: number): string {
  return names.get(n) ?? `errno ${n}`;
}
