import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { appCommand, newRunId, removeTestContainers, requireEngine, runContainer, waitFor } from '../helpers/engine.ts';

// The built CLI (npm test builds before running tests), run with this Node (24) as a user would.
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function healer(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, HEALER_CONFIG: '', HEALER_STATE_PATH: `${tmpdir()}/healer-cli-${process.pid}.json`, HEALER_SERVER_LISTEN: '127.0.0.1:0', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const runId = newRunId();
beforeAll(async () => {
  await requireEngine();
  await removeTestContainers(runId);
});
afterAll(() => removeTestContainers(runId));

describe('healer CLI', () => {
  it('prints its version', async () => {
    const { code, stdout } = await healer(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects an unknown command with usage and exit 2', async () => {
    const { code, stderr } = await healer(['heal-everything']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "heal-everything"');
  });

  it('stops with exit 1 and the file, line and key of a bad watchdog.yml', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-cli-`);
    writeFileSync(`${dir}/watchdog.yml`, 'defaults:\n  liveness:\n    timeout: soon\n');
    for (const cmd of [['check'], []]) {
      const { code, stderr } = await healer([...cmd, '--config', `${dir}/watchdog.yml`]);
      expect(code).toBe(1);
      expect(stderr).toContain(`${dir}/watchdog.yml:3: defaults.liveness.timeout: "soon" is not a duration (try 10s)`);
    }
  });

  it('check prints each container\'s effective policy, and exits 1 on a label error', async () => {
    const port = await freePort();
    const scope = { 'healer.enable': 'true', 'healer.scope': runId };
    await runContainer({ runId, name: 'api', labels: { ...scope, 'healer.liveness': `http://:${port}/health`, 'healer.liveness.header.Authorization': 'Bearer s3cret' }, cmd: appCommand(port) });
    const env = { HEALER_DISCOVERY_SCOPE: runId };
    const ok = await healer(['check'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`WATCH   api-${runId}`);
    expect(ok.stdout).toContain(`liveness:  http://:${port}/health, every 10s, timeout 2s, 3 failures to act, 1 success to recover, GET status 200-399, headers Authorization`);
    expect(ok.stdout).toContain('1 watched, 0 with label errors');
    expect(ok.stdout).not.toContain('s3cret');

    await runContainer({ runId, name: 'broken', labels: { ...scope, 'healer.liveness': 'tcp://:5432', 'healer.liveness.failures': 'many' }, cmd: ['sleep', '60'] });
    const bad = await healer(['check'], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`ERROR   broken-${runId}`);
    expect(bad.stdout).toContain(`label healer.liveness.failures on container "broken-${runId}": "many" is not a whole number of at least 1`);

    const json = await healer(['check', '--json'], env);
    const report = JSON.parse(json.stdout) as { containers: { container: string; verdict: { kind: string } }[] };
    expect(report.containers.map((c) => [c.container, c.verdict.kind])).toEqual([
      [`api-${runId}`, 'watch'],
      [`broken-${runId}`, 'problem'],
    ]);
    expect(ok.stdout).toMatch(/^engine: Docker Engine \d+\.\d+\S*, API 1\.\d+$/m);
    expect((JSON.parse(json.stdout) as { engine: { engine: string } }).engine.engine).toBe('docker');
  });

  it('check names a probe healer cannot route as a configuration problem, and exits 1', async () => {
    const scope = { 'healer.enable': 'true', 'healer.scope': runId };
    // The namespace owner is not opted in: healer cannot know the address the child's probe needs.
    const owner = await runContainer({ runId, name: 'owner', labels: {}, cmd: ['sleep', '60'], networkMode: 'none' });
    await runContainer({ runId, name: 'child', labels: { ...scope, 'healer.liveness': 'tcp://:5432' }, cmd: ['sleep', '60'], networkMode: `container:${owner}` });
    const r = await healer(['check'], { HEALER_DISCOVERY_SCOPE: runId });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`WATCH   child-${runId}`);
    expect(r.stdout).toContain(`PROBLEM:   liveness probe cannot be routed: the container shares the network of ${owner.slice(0, 12)}, which healer does not watch or which is not running`);
    expect(r.stdout).toMatch(/1 with probes healer cannot route$/m);
  });

  it('check names a docker probe of a container without a HEALTHCHECK as a configuration problem, and exits 1 (review 25)', async () => {
    const scope = `${runId}-r25`;
    // healer-test-busybox has no HEALTHCHECK: the engine never sends this container's health.
    await runContainer({ runId, name: 'nohc', labels: { 'healer.enable': 'true', 'healer.scope': scope, 'healer.liveness': 'docker' }, cmd: ['sleep', '60'] });
    const r = await healer(['check'], { HEALER_DISCOVERY_SCOPE: scope });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`WATCH   nohc-${runId}`);
    expect(r.stdout).toContain('PROBLEM:   liveness probe docker cannot report: the container has no HEALTHCHECK (run with --no-healthcheck, or its image has none), so the engine never sends its health and this probe never fails');
    expect(r.stdout).toMatch(/^1 watched, 0 with label errors, 1 with docker probes and no HEALTHCHECK$/m);
  });

  it('check: a __proto__ label and an unsendable header are label errors of their containers only, and label text is printed with control characters escaped (review 14)', async () => {
    const scope = { 'healer.enable': 'true', 'healer.scope': `${runId}-r14` };
    const esc = '\u001b[1A\u001b[2K';
    await runContainer({ runId, name: 'tenant', labels: { ...scope, 'healer.__proto__.x': 'y', 'com.docker.compose.project': 'shop', 'com.docker.compose.service': `web${esc}` }, cmd: ['sleep', '60'] });
    await runContainer({ runId, name: 'header', labels: { ...scope, 'healer.liveness': 'tcp://:5432', 'healer.liveness.header.Transfer-Encoding': 'chunked' }, cmd: ['sleep', '60'] });
    await runContainer({ runId, name: 'victim', labels: { ...scope, 'healer.liveness': 'tcp://:5432', 'healer.depends_on': `db${esc}` }, cmd: ['sleep', '60'] });
    const r = await healer(['check'], { HEALER_DISCOVERY_SCOPE: `${runId}-r14` });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ERROR   tenant-${runId} (shop/web\\x1b[1A\\x1b[2K)`);
    expect(r.stdout).toContain(`label healer.__proto__.x on container "tenant-${runId}": unknown label`);
    expect(r.stdout).toContain(`label healer.liveness.header.Transfer-Encoding on container "header-${runId}": header Transfer-Encoding cannot be set`);
    expect(r.stdout).toContain(`WATCH   victim-${runId}`);
    expect(r.stdout).toContain('depends on: db\\x1b[1A\\x1b[2K');
    expect(r.stdout).toContain('1 watched, 2 with label errors');
    expect(r.stdout).not.toContain('\u001b');
  });

  it('check says when the engine cannot be reached', async () => {
    const { code, stderr } = await healer(['check'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(code).toBe(1);
    expect(stderr).toContain('cannot reach the Docker engine at unix:///nonexistent/docker.sock');
  });

  it('runs until SIGTERM, then stops cleanly with exit 0', async () => {
    const port = await freePort();
    await runContainer({ runId, name: 'term', labels: { 'healer.enable': 'true', 'healer.scope': `${runId}-term`, 'healer.liveness': `http://:${port}/health`, 'healer.liveness.interval': '200ms' }, cmd: appCommand(port) });
    const child = spawn(process.execPath, [cli], { env: { ...process.env, HEALER_CONFIG: '', HEALER_STATE_PATH: `${tmpdir()}/healer-term-${process.pid}.json`, HEALER_SERVER_LISTEN: '127.0.0.1:0', HEALER_DISCOVERY_SCOPE: `${runId}-term`, HEALER_LOG_LEVEL: 'debug' } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('watching the container', () => out.includes('"msg":"watching container"'));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg).slice(-2)).toEqual(['stopping: no new probes; waiting for in-flight work', 'healer stopped']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('healthcheck exits 0 against a running healer, 1 with the reason while it cannot reach the engine, 1 when nothing listens', async () => {
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    /** Runs healer until `ready` shows in its log, asks `healer healthcheck`, stops it; returns both exits. */
    const probeWhileRunning = async (env: Record<string, string>, ready: string) => {
      const child = spawn(process.execPath, [cli], { env: { ...process.env, HEALER_CONFIG: '', HEALER_STATE_PATH: `${tmpdir()}/healer-hc-${process.pid}.json`, HEALER_SERVER_LISTEN: listen, HEALER_DISCOVERY_SCOPE: `${runId}-hc`, ...env } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await waitFor(ready, () => out.includes(ready));
        return { check: await healer(['healthcheck'], { HEALER_SERVER_LISTEN: listen }), exit: await (child.kill('SIGTERM'), exited) };
      } finally {
        child.kill('SIGKILL');
      }
    };
    const up = await probeWhileRunning({}, '"msg":"watching"');
    expect(up.check).toMatchObject({ code: 0, stdout: '200 {"status":"ok"}\n' });
    expect(up.exit).toBe(0);
    const noEngine = await probeWhileRunning({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, 'http listener up');
    expect(noEngine.check).toMatchObject({ code: 1, stdout: '503 {"status":"unhealthy","reason":"not connected to the docker engine yet"}\n' });
    expect(noEngine.exit).toBe(0);
    const none = await healer(['healthcheck'], { HEALER_SERVER_LISTEN: listen });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`healer healthcheck: http://${listen}/healthz: ECONNREFUSED\n`);
    const off = await healer(['healthcheck'], { HEALER_SERVER_LISTEN: 'off' });
    expect(off).toMatchObject({ code: 1, stderr: 'healer healthcheck: server.listen is off; there is no /healthz to ask\n' });
  });
});
