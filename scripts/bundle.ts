// The second step of `npm run build`: tsc's output of the process entries is replaced by a
// bundle of each, one file that Node loads instead of dozens of modules (its ESM loader costs
// about half a millisecond a module, and yaml alone is 72 files):
// - dist/src/cli/entry.js, which bin/warden loads: src/cli/entry.ts and what `warden status`
//   needs. The rest of the CLI (main.ts) is a dynamic import kept external, so it resolves to
//   dist/src/cli/main.js beside it:
// - dist/src/cli/logs-entry.js, which entry.js loads for `warden logs`: reading logs back.
// - dist/src/cli/main.js: commander, every other verb but `import` (left in tsc's output), and
//   the config loader with yaml and zod
//   (`warden up` with 200 services reaches the daemon's spawn 35 ms sooner, 186 against 223 ms).
// - dist/src/daemon/entry.js, which `warden up` starts: the daemon with zod (koffi, a native
//   module, stays in node_modules, and so does the YAML loader: the daemon checks the document
//   the CLI sends, and loads config/load.js, with yaml, only to read a file itself on SIGHUP or
//   `reload`: 13 MB less resident). It starts in ~60% of the time (docs/benchmarks.md).
// - dist/src/http/dashboard/dashboard.js, the dashboard's script for the browser (from
//   src/http/dashboard/main.ts, type-checked by its own tsconfig.json with the DOM's types),
//   with the page and its style copied beside it: what src/http/dashboard-page.ts serves.
// Each module keeps its own `import.meta.url` (that of its file in tsc's output), so URLs made
// relative to it (worker scripts, package.json) resolve as they do without the bundle. Names are
// kept (whitespace and syntax minified only), so that stack traces in warden.log stay readable.
import { build, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Replaces `import.meta.url` in each TypeScript source with the URL of its tsc output file,
// computed from the bundle's own URL.
function ownImportMetaUrl(outfile: string): Plugin {
  return {
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\/src\/.*\.ts$/ }, async ({ path }) => {
        const compiled = `${root}dist/${relative(root, path).replace(/\.ts$/, '.js')}`;
        const fromBundle = relative(dirname(`${root}${outfile}`), compiled);
        const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
        const source = await readFile(path, 'utf8');
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

// Bundles src/X.ts over tsc's dist/src/X.js (and its source map).
async function bundle(entry: string, external: string[]): Promise<void> {
  const outfile = `dist/${entry.replace(/\.ts$/, '.js')}`;
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    sourcemap: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    plugins: [ownImportMetaUrl(outfile)],
    // yaml is CommonJS and requires node:process and node:buffer.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
    minifyWhitespace: true,
    minifySyntax: true,
  });
}

// In the status bundle, ffi/fds.js (and koffi, a native module, with it) stays out, loaded only once
// a client has connected and checks the daemon's credentials (src/ipc/trust-daemon.ts): ~10-25
// ms less when no daemon answers. The path resolves from dist/src/cli as from src/ipc.
await bundle('src/cli/entry.ts', [
  './main.js',
  './logs-entry.js',
  'koffi',
  '../effects/ffi/fds.js',
]);
// `warden logs` loads entry.js and this bundle: the log readers, without commander, yaml or zod.
await bundle('src/cli/logs-entry.ts', ['./main.js', 'koffi', '../effects/ffi/fds.js']);
// `warden import` stays in tsc's output, loaded only by that verb (with the ini parser); so does
// `warden top`.
// `warden run` holds the daemon too; its HTTP server, as in the daemon's bundle, stays out.
// So does `include` with its glob library, loaded only for a config that has one.
await bundle('src/cli/main.ts', [
  'koffi',
  './commands/import.js',
  './commands/top.js',
  '../http/http-service.js',
  '../config/include.js',
  'croner',
]);
// The YAML loader stays out: the daemon reads a config file itself only on SIGHUP or reload. So
// does the HTTP server (with prom-client): loaded only for a config with `http`.
// croner is loaded only for a config with a schedule (config/schedule.ts, runtime/schedule/).
await bundle('src/daemon/entry.ts', [
  'koffi',
  '../config/load.js',
  '../http/http-service.js',
  'croner',
]);
// The dashboard: one script for browsers, nothing loaded from elsewhere at run time.
await build({
  absWorkingDir: root,
  entryPoints: ['src/http/dashboard/main.ts'],
  outfile: 'dist/src/http/dashboard/dashboard.js',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  logLevel: 'warning',
});
await mkdir(`${root}dist/src/http/dashboard`, { recursive: true });
for (const file of ['index.html', 'dashboard.css'])
  await copyFile(`${root}src/http/dashboard/${file}`, `${root}dist/src/http/dashboard/${file}`);
