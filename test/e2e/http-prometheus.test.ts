// A real Prometheus server (Debian's `prometheus`) scrapes the daemon's GET /metrics every second
// with the bearer token, and a PromQL query over its HTTP API sees
// warden_instance_restarts_total rise after an instance is killed.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort, httpRequest, writeToken } from '../helpers/http.js';

const hasPrometheus = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;

interface QueryAnswer {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

// The value of an instant query for one series, or undefined while Prometheus has none.
async function query(port: number, promql: string): Promise<number | undefined> {
  const r = await httpRequest(port, `/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (r.status !== 200) return undefined;
  const answer = JSON.parse(r.body) as QueryAnswer;
  const value = answer.data.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

void describe(
  'prometheus scrapes warden',
  { skip: !hasPrometheus && 'no prometheus binary (Debian package prometheus)' },
  () => {
    let sb: Sandbox | undefined;
    let prometheus: ChildProcess | undefined;
    let storage: string | undefined;
    after(async () => {
      if (prometheus?.pid !== undefined && prometheus.exitCode === null) {
        const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
        prometheus.kill('SIGTERM');
        await exited;
      }
      if (storage !== undefined) rmSync(storage, { recursive: true, force: true });
      await sb?.cleanup();
    });

    void it('sees warden_instance_restarts_total rise after a kill', async () => {
      sb = sandbox();
      const wardenPort = await freePort();
      sb.config(`
http:
  listen: 127.0.0.1:${wardenPort}
  token_file: token
services:
  victim:
    command: [sleep, "600"]
    min_uptime: 100ms
    backoff: { initial: 100ms }
`);
      const { path: tokenPath } = writeToken(sb.dir);
      const up = await sb.warden(['up', '--wait']);
      assert.equal(up.code, 0, up.stderr);

      storage = mkdtempSync(join(tmpdir(), 'warden-prometheus-'));
      const promPort = await freePort();
      const config = join(storage, 'prometheus.yml');
      writeFileSync(
        config,
        `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: warden
    authorization: { type: Bearer, credentials_file: ${tokenPath} }
    static_configs: [{ targets: ['127.0.0.1:${wardenPort}'] }]
`,
      );
      let output = '';
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(storage, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      prometheus.stderr?.on(
        'data',
        (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)),
      );

      // Prometheus keeps its own `instance` label (the target), so warden's is `exported_instance`.
      const promql = 'warden_instance_restarts_total{service="victim",exported_instance="victim"}';
      const before = await waitFor(
        `a first scrape of warden by prometheus (${output})`,
        async () => {
          const up = await query(promPort, 'up{job="warden"}').catch(() => undefined);
          if (up !== 1) return undefined;
          return query(promPort, promql);
        },
        60_000,
        250,
      );
      assert.equal(before, 0);

      const status = await sb.status();
      const pid = status.instances[0]?.pid;
      assert.ok(pid !== null && pid !== undefined);
      process.kill(pid, 'SIGKILL');

      const afterKill = await waitFor(
        'warden_instance_restarts_total to rise in prometheus',
        async () => {
          const v = await query(promPort, promql);
          return v !== undefined && v > before ? v : undefined;
        },
        30_000,
        250,
      );
      assert.equal(afterKill, 1);
      const exits = await query(
        promPort,
        'warden_instance_exits_total{service="victim",reason="signal"}',
      );
      assert.equal(exits, 1);
    });
  },
);
