// Config `limits`: sizes, shares of cores, rlimits as prlimit(1) writes them, top-level defaults,
// the errors of bad values; and how they reach a start (warden-spawner's RLIMITS field, prlimit).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_LIMITS } from '../../src/config/limits.js';
import { parseConfig } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/format.js';
import type { LimitSpec } from '../../src/config/types.js';
import {
  findPrlimit,
  prlimitArgs,
  rlimitsField,
  underPrlimit,
} from '../../src/effects/spawn/rlimits.js';
import { execFileSync } from 'node:child_process';

async function limitsOf(yaml: string): Promise<Map<string, LimitSpec>> {
  const r = await parseConfig(yaml, '/srv/warden.yaml', () => Promise.resolve(''));
  assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  return new Map(r.config.services.map((s) => [s.name, s.limits]));
}

async function issuesOf(yaml: string): Promise<string[]> {
  const r = await parseConfig(yaml, '/srv/warden.yaml', () => Promise.resolve(''));
  assert.ok(!r.ok);
  return r.issues.map(formatIssue);
}

void describe('config limits', () => {
  void it('reads sizes (1024-based, MB and MiB alike), cores and rlimits', async () => {
    const limits = await limitsOf(`
services:
  web:
    command: x
    limits:
      memory: 512MB
      memory_high: 1GiB
      cpu: 50%
      pids: 50
      nofile: 256
      core: unlimited
      stack: "8MB:unlimited"
      nproc: "100:200"
      memory_poll: 2s
`);
    assert.deepEqual(limits.get('web'), {
      memoryBytes: 536870912,
      memoryHighBytes: 1073741824,
      cpuCores: 0.5,
      pids: 50,
      rlimits: [
        { resource: 'core', soft: null, hard: null },
        { resource: 'stack', soft: 8388608, hard: null },
        { resource: 'nofile', soft: 256, hard: 256 },
        { resource: 'nproc', soft: 100, hard: 200 },
      ],
      memoryPollMs: 2000,
    });
  });

  void it('takes top-level limits as defaults, key by key; none at all is NO_LIMITS', async () => {
    const limits = await limitsOf(`
limits: { nofile: 1024, cpu: 1.5 }
services:
  a: { command: x }
  b: { command: x, limits: { cpu: 25% } }
`);
    assert.equal(limits.get('a')?.cpuCores, 1.5);
    assert.equal(limits.get('b')?.cpuCores, 0.25);
    assert.deepEqual(limits.get('b')?.rlimits, [{ resource: 'nofile', soft: 1024, hard: 1024 }]);
    const none = await limitsOf('services:\n  a: { command: x }\n');
    assert.equal(none.get('a'), NO_LIMITS);
  });

  void it('says what is wrong with a bad value, and where', async () => {
    const issues = await issuesOf(`
services:
  web:
    command: x
    limits:
      memory: lots
      cpu: 0%
      nofile: "512:128"
      nproc: 10MB
      swap: 1GB
`);
    assert.deepEqual(issues, [
      '/srv/warden.yaml:6:15: services.web.limits.memory: "lots" is not a size; use e.g. 512MB, 1GiB (1024-based) or a number of bytes',
      '/srv/warden.yaml:7:12: services.web.limits.cpu: "0%" is not a share of cores; use e.g. 50% (half a core) or 1.5 (between 1% and 1024)',
      '/srv/warden.yaml:8:15: services.web.limits.nofile: the soft limit 512 is above the hard limit 128',
      '/srv/warden.yaml:9:14: services.web.limits.nproc: "10MB" is not a limit; use e.g. 1024, unlimited or "1024:4096" (soft:hard)',
      '/srv/warden.yaml:10:7: services.web.limits.swap: "swap" is not a known key; known keys: memory, memory_high, cpu, pids, memory_poll, core, stack, as, nofile, nproc',
    ]);
  });

  void it('reaches warden-spawner as RLIMITS and prlimit(1) as its options', () => {
    const rlimits = [
      { resource: 'nofile', soft: 256, hard: 512 },
      { resource: 'core', soft: null, hard: null },
    ] as const;
    assert.equal(rlimitsField(rlimits), '7:256:512,4:-1:-1');
    assert.equal(rlimitsField(undefined), '');
    assert.deepEqual(prlimitArgs(rlimits), [
      '--nofile=256:512',
      '--core=unlimited:unlimited',
      '--',
    ]);
  });

  void it('runs a command under the real prlimit(1) with those limits (no warden-spawner)', (t) => {
    if (findPrlimit() === undefined) return t.skip('no prlimit(1): apt-get install util-linux');
    const rlimits = [{ resource: 'nofile', soft: 100, hard: 200 }] as const;
    const run = underPrlimit('/bin/cat', ['cat', '/proc/self/limits'], rlimits);
    const out = execFileSync(run.path, run.argv.slice(1), { encoding: 'utf8' });
    assert.match(out, /Max open files\s+100\s+200\s+files/);
  });
});
