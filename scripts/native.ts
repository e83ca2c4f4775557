// The third step of `npm run build`: compiles the C helper of cgroup containment into
// dist/native/: warden-spawner, the daemon's fork server, which starts an instance inside its
// cgroup (clone3 with CLONE_INTO_CGROUP). Statically linked where the C library allows it (an
// exec 0.2 ms faster: no dynamic loader). Without a C compiler the build still succeeds: warden then falls back to
// a sh wrapper that joins the cgroup (10 to 20 ms more per start), and says so here.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const compiler = process.env.CC ?? 'cc';
mkdirSync(`${root}dist/native`, { recursive: true });

for (const name of ['warden-spawner']) {
  const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-o', `${root}dist/native/${name}`];
  const source = `${root}native/${name}.c`;
  const failures: string[] = [];
  const built = [
    ['-static', ...flags, source],
    [...flags, source],
  ].some((args) => {
    const r = spawnSync(compiler, args, { encoding: 'utf8' });
    if (r.status !== 0) failures.push(r.error?.message ?? r.stderr.trim());
    return r.status === 0;
  });
  if (!built) {
    process.stderr.write(
      `warning: ${compiler} could not build native/${name}.c; cgroup containment will start ` +
        `instances through a sh wrapper instead, and services with user, group or capabilities ` +
        `through setpriv(1) (slower starts):\n${failures.join('\n')}\n`,
    );
  }
}
