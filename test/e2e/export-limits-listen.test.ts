// `limits:` and `listen:` carried by `warden export` (systemd resource directives and .socket
// units that `systemd-analyze verify` accepts; Kubernetes resources and container ports the
// published schemas accept), and a round trip: a PM2 ecosystem imported, run under warden,
// exported to systemd and Kubernetes, with the same command, env and memory limit at each step.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parseAllDocuments } from 'yaml';
import { runProcess, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort } from '../helpers/http.js';

const ANALYZE = '/usr/bin/systemd-analyze';
const NO_ANALYZE = existsSync(ANALYZE) ? false : 'needs systemd-analyze (apt-get install systemd)';

interface Container {
  command: string[];
  env: { name: string; value: string }[];
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  resources?: { limits?: Record<string, string> };
}

/** The first container of each Deployment in `yaml` (every object validated first). */
function containersOf(yaml: string): Container[] {
  return parseAllDocuments(yaml).map((d) => {
    const doc = d.toJS() as Record<string, unknown>;
    new Deployment(doc).validate(); // throws on any schema error
    const spec = doc.spec as { template: { spec: { containers: Container[] } } };
    return spec.template.spec.containers[0] as Container;
  });
}

/** Runs systemd-analyze verify on `units` in `dir`; fails the test on any word it says. */
async function verify(dir: string, units: string[]): Promise<void> {
  const r = await runProcess(ANALYZE, ['verify', ...units], {
    cwd: dir,
    env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'systemd-analyze had something to say');
}

function lines(text: string): string[] {
  return text.split('\n');
}

void describe('warden export: limits and listen', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it(
    'systemd: resource directives and a socket unit per listen name',
    { skip: NO_ANALYZE },
    async () => {
      s = sandbox();
      const port = await freePort();
      s.config(`
services:
  web:
    command: [sleep, "600"]
    instances: 2
    limits: { memory: 512MB, memory_high: 400MB, cpu: 150%, pids: 64, nofile: "1024:4096", core: unlimited }
    listen:
      - 127.0.0.1:${port}
      - { address: "unix:admin.sock", name: admin, mode: "0660", backlog: 16 }
  one:
    command: [sleep, "600"]
    listen: [${port + 1}]
`);
      const out = join(s.dir, 'units');
      const r = await s.warden(['export', 'systemd', '--dir', out]);
      assert.equal(r.code, 0, r.stderr);
      const unit = (name: string): string[] => lines(readFileSync(join(out, name), 'utf8'));
      const web = unit('web@.service');
      for (const line of [
        'MemoryMax=536870912',
        'MemoryHigh=419430400',
        'CPUQuota=150%',
        'TasksMax=64',
        'LimitNOFILE=1024:4096',
        'LimitCORE=infinity',
        'Sockets=web.socket web-admin.socket',
        'Requires=web.socket web-admin.socket',
      ])
        assert.ok(web.includes(line), `web@.service has ${line}:\n${web.join('\n')}`);
      const socket = unit('web.socket');
      for (const line of [
        `ListenStream=127.0.0.1:${port}`,
        'FileDescriptorName=web',
        'Service=web@0.service',
        'WantedBy=sockets.target',
      ])
        assert.ok(socket.includes(line), `web.socket has ${line}:\n${socket.join('\n')}`);
      const admin = unit('web-admin.socket');
      for (const line of [
        `ListenStream=${join(s.dir, 'admin.sock')}`,
        'FileDescriptorName=admin',
        'SocketMode=0660',
        'Backlog=16',
      ])
        assert.ok(admin.includes(line), `web-admin.socket has ${line}:\n${admin.join('\n')}`);
      assert.ok(unit('one.socket').includes(`ListenStream=${port + 1}`));
      assert.ok(unit('one.service').includes('Sockets=one.socket'));
      assert.match(r.stdout, /enable --now .*web\.socket web-admin\.socket/);
      await verify(out, [
        'web@.service',
        'web@1.service',
        'one.service',
        'web.socket',
        'web-admin.socket',
        'one.socket',
      ]);
    },
  );

  void it('kubernetes: resources.limits and containerPort; the rest listed', async () => {
    s = sandbox();
    s.config(`
services:
  web:
    command: [sleep, "600"]
    limits: { memory: 512MB, memory_high: 400MB, cpu: 150%, pids: 64, nofile: 1024 }
    listen: ["127.0.0.1:8080", "unix:/run/web.sock"]
`);
    const r = await s.warden(['export', 'kubernetes', '--image', 'registry.example/web:1']);
    assert.equal(r.code, 0, r.stderr);
    const [web] = containersOf(r.stdout);
    assert.deepEqual(web?.resources, { limits: { memory: '536870912', cpu: '1500m' } });
    assert.deepEqual(web?.ports, [{ containerPort: 8080, name: 'web', protocol: 'TCP' }]);
    for (const loss of [
      /services\.web\.limits\.memory_high: no equivalent/,
      /services\.web\.limits\.pids: no equivalent/,
      /services\.web\.limits\.nofile: no equivalent/,
      /services\.web\.listen: the container binds 127\.0\.0\.1:8080 itself/,
      /services\.web\.listen: unix:\/run\/web\.sock: no equivalent/,
    ])
      assert.match(r.stderr, loss);
  });

  void it(
    'round trip: PM2 import, run under warden, export to systemd and Kubernetes',
    { skip: NO_ANALYZE },
    async () => {
      s = sandbox();
      s.config(
        JSON.stringify({
          apps: [
            {
              name: 'api',
              script: 'server.js',
              interpreter: process.execPath,
              args: '--tag $HOME',
              instances: 2,
              max_memory_restart: '200M',
              env: { GREETING: 'hi ${NOT_A_VAR} $$' },
            },
          ],
        }),
        'ecosystem.json',
      );
      writeFileSync(join(s.dir, 'server.js'), 'setInterval(() => {}, 1 << 30);\n');
      const imported = await s.warden(['import', 'pm2', 'ecosystem.json', '-o', 'warden.yaml']);
      assert.equal(imported.code, 0, imported.stderr);
      const yaml = readFileSync(join(s.dir, 'warden.yaml'), 'utf8');
      assert.match(yaml, /^ {4}limits:\n {6}memory: 200MB$/m, yaml);

      // limits.memory is polled in process-group mode: the round trip runs without a memory controller.
      s.env.WARDEN_CONTAINMENT = 'process-group';
      const up = await s.warden(['up', '--wait']);
      assert.equal(up.code, 0, up.stderr);
      const pids = await waitFor('api:0 and api:1 running', async () => {
        const r = await s.status();
        const running = r.instances.filter((i) => i.state === 'running' && i.pid !== null);
        return running.length === 2 ? running.map((i) => i.pid ?? 0) : false;
      });
      for (const pid of pids) {
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        assert.ok(environ.includes('GREETING=hi ${NOT_A_VAR} $$'), 'the env value as PM2 had it');
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        // The shell of the string command gets $HOME as PM2 wrote it, to expand at run time.
        assert.deepEqual(argv.slice(1, 3), ['-c', `${process.execPath} server.js --tag $HOME`]);
      }
      assert.equal((await s.warden(['down'])).code, 0);

      const out = join(s.dir, 'units');
      const exported = await s.warden(['export', 'systemd', '--dir', out]);
      assert.equal(exported.code, 0, exported.stderr);
      const unit = lines(readFileSync(join(out, 'api@.service'), 'utf8'));
      for (const line of [
        'MemoryMax=209715200',
        'Environment="GREETING=hi ${NOT_A_VAR} $$"',
        `ExecStart=/bin/sh -c "${process.execPath} server.js --tag $$HOME"`,
      ])
        assert.ok(unit.includes(line), `api@.service has ${line}:\n${unit.join('\n')}`);
      await verify(out, ['api@.service', 'api@0.service']);

      const k8s = await s.warden(['export', 'kubernetes', '--image', 'registry.example/api:1']);
      assert.equal(k8s.code, 0, k8s.stderr);
      const [api] = containersOf(k8s.stdout);
      assert.equal(api?.resources?.limits?.memory, '209715200');
      assert.ok(api?.env.some((e) => e.name === 'GREETING' && e.value === 'hi ${NOT_A_VAR} $$'));
    },
  );
});
