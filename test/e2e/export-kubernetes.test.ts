// `warden export kubernetes`: a Deployment per service, each valid under the published
// Kubernetes schemas (kubernetes-models validates the objects as the API server's OpenAPI
// schema says; kubectl's dry run would need a cluster), mapping what has an equivalent and
// listing on stderr what has not.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { parseAllDocuments } from 'yaml';
import { sandbox, type Sandbox } from '../helpers/cli.js';

const CONFIG = `
services:
  api_server:
    command: [node, server.js]
    instances: 3
    env: { NODE_ENV: production }
    env_file: app.env
    user: daemon
    capabilities: [CAP_NET_BIND_SERVICE]
    no_new_privileges: true
    ready: { http: "http://127.0.0.1:8080/healthz", interval: 2s, timeout: 30s }
    stop_timeout: 25s
  worker:
    command: 'exec ./worker --queue jobs'
    depends_on: [api_server]
    ready: { notify: true }
    restart: on-failure
`;

interface Container {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value: string }[];
  envFrom?: unknown[];
  readinessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
}

void describe('warden export kubernetes', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('writes Deployments the Kubernetes schemas accept, and lists what has no equivalent', async () => {
    s = sandbox();
    s.config(CONFIG);
    writeFileSync(join(s.dir, 'app.env'), 'SECRET=1\n');
    const r = await s.warden(['export', 'kubernetes', '--image', 'registry.example/app:1.2']);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>);
    assert.equal(docs.length, 2);
    for (const doc of docs) new Deployment(doc).validate(); // throws on any schema error
    const [api, worker] = docs as { metadata: { name: string }; spec: Record<string, unknown> }[];
    assert.equal(api?.metadata.name, 'api-server', 'an RFC 1123 name');
    assert.equal(api?.spec.replicas, 3);
    const container = (d: (typeof docs)[number] | undefined): Container =>
      (d?.spec as { template: { spec: { containers: Container[] } } }).template.spec
        .containers[0] as Container;
    const c = container(api);
    assert.equal(c.image, 'registry.example/app:1.2');
    assert.deepEqual(c.command, ['node', 'server.js']);
    assert.ok(c.env.some((e) => e.name === 'NODE_ENV' && e.value === 'production'));
    assert.deepEqual(c.envFrom, [{ secretRef: { name: 'api-server-env' } }]);
    assert.deepEqual(c.readinessProbe, {
      httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
      periodSeconds: 2,
    });
    assert.equal(c.startupProbe?.failureThreshold, 15, '30s of 2s probes');
    assert.equal(c.securityContext?.runAsUser, 1, "daemon's uid");
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities, { add: ['NET_BIND_SERVICE'] });
    assert.equal(
      (api?.spec.template as { spec: { terminationGracePeriodSeconds: number } }).spec
        .terminationGracePeriodSeconds,
      25,
    );
    assert.deepEqual(container(worker).command, ['/bin/sh', '-c', 'exec ./worker --queue jobs']);
    for (const loss of [
      /services\.api_server\.name: not a valid Kubernetes name: the objects are named "api-server"/,
      /services\.api_server\.env_file: read from the Secret "api-server-env": kubectl create secret generic api-server-env --from-env-file=app\.env/,
      /services\.worker\.ready: a notify check has no probe equivalent/,
      /services\.worker\.depends_on: no equivalent/,
      /services\.worker\.restart: "on-failure"/,
    ])
      assert.match(r.stderr, loss);
  });

  void it('--dir writes one file per service; without --image the placeholder is said', async () => {
    s = sandbox();
    s.config(CONFIG);
    writeFileSync(join(s.dir, 'app.env'), 'SECRET=1\n');
    const out = join(s.dir, 'k8s');
    const r = await s.warden(['export', 'kubernetes', '--dir', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /services\.worker\.image: the config names no image/);
    const text = readFileSync(join(out, 'worker.yaml'), 'utf8');
    const doc = parseAllDocuments(text)[0]?.toJS() as Record<string, unknown>;
    new Deployment(doc).validate();
    assert.match(text, /image: REPLACE-WITH-YOUR-IMAGE/);
  });

  void it('writes a scheduled task as a CronJob, and one without a CronJob schedule as a Job', async () => {
    s = sandbox();
    s.config(`
services:
  backup:
    kind: task
    command: [./backup]
    schedule: "0 30 3 * JUL,DEC MON-WED"
    timezone: Europe/Berlin
    overlap: replace
    catch_up: true
  tick:
    kind: task
    command: [./tick]
    schedule: "*/10 * * * * *"
`);
    const r = await s.warden(['export', 'kubernetes', '--image', 'registry.example/app:1']);
    assert.equal(r.code, 0, r.stderr);
    const [backup, tick] = parseAllDocuments(r.stdout).map(
      (d) => d.toJS() as { kind: string; spec: Record<string, unknown> },
    );
    assert.equal(backup?.kind, 'CronJob');
    new CronJob(backup as unknown as ConstructorParameters<typeof CronJob>[0]).validate();
    // Month and day names stay (no L or W for croner's "last" and "weekday" is in them).
    assert.equal(backup?.spec.schedule, '30 3 * JUL,DEC MON-WED');
    assert.equal(backup?.spec.timeZone, 'Europe/Berlin');
    assert.equal(backup?.spec.concurrencyPolicy, 'Replace');
    const job = backup?.spec.jobTemplate as {
      spec: { template: { spec: { restartPolicy: string } } };
    };
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.doesNotMatch(r.stderr, /services\.backup\.(schedule|catch_up|overlap)/);
    // Seconds: no CronJob runs that often.
    assert.equal(tick?.kind, 'Job');
    assert.match(
      r.stderr,
      /services\.tick\.schedule: "\*\/10 \* \* \* \* \*" has no CronJob schedule/,
    );
    assert.doesNotMatch(r.stderr, /services\.tick\.catch_up/);
  });

  void it('writes a task as a Job and a health check as a livenessProbe', async () => {
    s = sandbox();
    s.config(`
services:
  migrate:
    kind: task
    command: [./migrate]
    runtime_max: 5m
  web:
    command: [node, server.js]
    instances: 2
    depends_on: { migrate: succeeded }
    health: { http: "http://127.0.0.1:8080/live", interval: 5s, timeout: 2s, failures: 4, start_period: 30s }
`);
    const r = await s.warden(['export', 'kubernetes', '--image', 'registry.example/app:1']);
    assert.equal(r.code, 0, r.stderr);
    const [migrate, web] = parseAllDocuments(r.stdout).map(
      (d) => d.toJS() as { kind: string; spec: Record<string, unknown> },
    );
    assert.equal(migrate?.kind, 'Job');
    new Job(migrate as unknown as ConstructorParameters<typeof Job>[0]).validate();
    assert.equal(migrate?.spec.backoffLimit, 0, "restart: never, a task's default");
    assert.equal(migrate?.spec.activeDeadlineSeconds, 300);
    const jobPod = (migrate?.spec.template as { spec: { restartPolicy: string } }).spec;
    assert.equal(jobPod.restartPolicy, 'Never');
    assert.equal(web?.kind, 'Deployment');
    new Deployment(web as unknown as ConstructorParameters<typeof Deployment>[0]).validate();
    const c = (web?.spec.template as { spec: { containers: Record<string, unknown>[] } }).spec
      .containers[0];
    assert.deepEqual(c?.livenessProbe, {
      httpGet: { path: '/live', port: 8080, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 4,
      initialDelaySeconds: 30,
    });
    assert.doesNotMatch(r.stderr, /services\.migrate\.restart/);
  });
});
