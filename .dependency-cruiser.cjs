// The layer rules of DESIGN.md section 8, checked by `npm test` (npm run layers): the arrows that
// must never exist between the folders of src/. Type-only imports count too: a type names the
// layer it belongs to as much as a value does.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core is the pure state machine: it imports nothing outside src/core.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/' },
    },
    {
      name: 'effects-below-runtime',
      comment:
        'src/effects is the OS boundary: runtime, logs, the daemon, ipc and the CLI call it, never the other way.',
      severity: 'error',
      from: { path: '^src/effects/' },
      to: { path: '^src/(runtime|logs|daemon|ipc|cli)/' },
    },
    {
      name: 'config-is-data',
      comment: 'src/config parses and validates; it never reaches into the runtime.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'cli-talks-to-daemon',
      comment: 'The CLI drives the daemon through the protocol, never through the runtime.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'lib-talks-to-daemon',
      comment: 'The library (the public API) drives the daemon through the protocol only.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'http-reads-through-source',
      comment:
        'src/http is loaded only with `http:`; it reads the daemon through what the daemon hands it (source.ts), never by importing the daemon or the runtime.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(daemon|runtime)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
