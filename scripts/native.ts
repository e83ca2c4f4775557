// The third step of `npm run build`: compiles native/warden-exec.c into dist/native/warden-exec,
// which cgroup containment uses to start each instance inside its cgroup (clone3 with
// CLONE_INTO_CGROUP). Statically linked where the C library allows it (an exec 0.2 ms faster:
// no dynamic loader). Without a C compiler the build still succeeds: warden then falls back to
// a sh wrapper that joins the cgroup (10 to 20 ms more per start), and says so here.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const source = `${root}native/warden-exec.c`;
const output = `${root}dist/native/warden-exec`;
const compiler = process.env.CC ?? 'cc';
const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-o', output, source];

mkdirSync(`${root}dist/native`, { recursive: true });
const tries = [['-static', ...flags], flags];
const failures: string[] = [];
for (const args of tries) {
  const r = spawnSync(compiler, args, { encoding: 'utf8' });
  if (r.status === 0) process.exit(0);
  failures.push(r.error?.message ?? r.stderr.trim());
}
process.stderr.write(
  `warning: ${compiler} could not build native/warden-exec; cgroup containment will start ` +
    `instances through a sh wrapper instead (slower starts):\n${failures.join('\n')}\n`,
);
