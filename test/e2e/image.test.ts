import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { appCommand, docker, engineSuite, fastLabels, execIn, newRunId, recordEvents, runContainer, sleep, TEST_LABEL, waitFor } from '../helpers/engine.ts';

// The product as users run it: healer's own image, built here from the Dockerfile on the stand-in
// Node 24 base (the official one cannot be pulled), run as a container next to its neighbours.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = 'healer:test';
const suite = engineSuite();

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  // Layers are cached, so this is quick unless package files or src changed.
  await sh('docker', ['build', '-q', '--network', 'host', '--build-arg', 'NODE_IMAGE=healer-test-node:latest', '-t', IMAGE, repo], { timeoutMs: 600_000 });
}, 600_000);

async function logsOf(id: string): Promise<string> {
  return (await docker.getContainer(id).logs({ stdout: true, stderr: true })).toString('utf8');
}

describe("healer's image", () => {
  it('runs as a non-root user, heals its neighbour, never acts on itself, turns healthy, and stops fast on docker stop', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const neighbourPort = await freePort();
    const probe = (port: number) => fastLabels(runId, `http://:${port}/health`);
    const neighbour = await runContainer({ runId, name: 'neighbour', labels: probe(neighbourPort), cmd: appCommand(neighbourPort) });
    const port = await freePort();
    // Labelled like any other container, with a probe that always fails: it must still never act on itself.
    const healer = await docker.createContainer({
      name: `healer-image-${runId}`,
      Image: IMAGE,
      Env: [`HEALER_DISCOVERY_SCOPE=${runId}`, `HEALER_SERVER_LISTEN=127.0.0.1:${port}`],
      Labels: { [TEST_LABEL]: runId, ...probe(await freePort()) },
      HostConfig: { NetworkMode: 'host', Binds: ['/var/run/docker.sock:/var/run/docker.sock:ro'] },
    });
    await healer.start();

    await waitFor('healer watching its neighbour', async () => (await logsOf(healer.id)).includes('"msg":"watching container"'));
    await execIn(neighbour, ['rm', '/www/health']);
    await waitFor('neighbour restarted', () => events.count(neighbour, 'restart') >= 1);
    await waitFor('neighbour recovered', async () => (await logsOf(healer.id)).includes('"msg":"container recovered"'));

    const logs = await logsOf(healer.id);
    expect(logs).toContain('"uid":1000,"gid":1000');
    expect(logs).toContain('healer runs in a container; it will never act on it');
    expect(logs).not.toContain(`"container":"healer-image-${runId}"`);
    expect(events.count(healer.id, 'restart') + events.count(healer.id, 'kill') + events.count(healer.id, 'stop')).toBe(0);
    expect(await execOut(healer.id, ['cat', '/proc/1/status'])).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    // It runs the bundle alone: no node_modules, no package.json, nothing but dist/cli.js (its licences, the status page's files it serves, and what it loads on first use).
    expect((await execOut(healer.id, ['ls', '-A', '/app'])).split('\n').filter(Boolean)).toEqual(['dist', 'schema']);
    expect((await execOut(healer.id, ['ls', '-A', '/app/dist'])).split('\n').filter(Boolean)).toEqual(['assets', 'cli.js', 'cli.js.LEGAL.txt', 'first-use']);

    // The image's own HEALTHCHECK (healer healthcheck → /healthz) turns healthy: first run after 10 s.
    await waitFor('HEALTHCHECK healthy', async () => (await healer.inspect()).State.Health?.Status === 'healthy', 40_000);
    const info = await healer.inspect();
    expect(info.Config.Labels['org.opencontainers.image.title']).toBe('healer');
    expect(info.Config.User).toBe('');

    // The state file went to the /data volume, written by uid 1000.
    await waitFor('state file written', async () => (await execOut(healer.id, ['stat', '-c', '%u', '/data/state.json'])).trim() === '1000');

    const started = Date.now();
    await healer.stop({ t: 10 });
    const tookMs = Date.now() - started;
    const state = (await healer.inspect()).State;
    expect(state.ExitCode).toBe(0); // PID 1 handled SIGTERM itself, not killed at the timeout
    expect(tookMs).toBeLessThan(5000); // well within the 10 s stop timeout
    expect(await logsOf(healer.id)).toContain('"msg":"healer stopped"');
  }, 90_000);

  it('started non-root without the socket group, it says which group to add and keeps retrying', async () => {
    const runId = newRunId();
    const c = await docker.createContainer({
      name: `healer-nogroup-${runId}`,
      Image: IMAGE,
      User: '1000:1000',
      Env: [`HEALER_DISCOVERY_SCOPE=${runId}`, `HEALER_SERVER_LISTEN=127.0.0.1:${await freePort()}`],
      Labels: { [TEST_LABEL]: runId },
      HostConfig: { NetworkMode: 'host', Binds: ['/var/run/docker.sock:/var/run/docker.sock:ro'] },
    });
    await c.start();
    const { statSync } = await import('node:fs');
    const gid = statSync('/var/run/docker.sock').gid;
    const line = await waitFor('the permission error', async () => (await logsOf(c.id)).split('\n').find((l) => l.includes('docker engine unreachable; retrying')));
    expect(line).toContain(`EACCES`);
    expect(line).toContain(`healer runs as uid 1000 with groups 1000; the socket belongs to group ${gid}: add that group, e.g. compose group_add: [\\"${gid}\\"] or docker run --group-add ${gid}`);
    expect((await c.inspect()).State.Running).toBe(true);
  });

  it('the compose example comes up with docker-compose and heals its example app', async () => {
    const runId = newRunId();
    const project = `healer-test-${runId}`;
    const webPort = await freePort();
    const healerPort = await freePort();
    const env = { ...process.env, HEALER_IMAGE: IMAGE, HEALER_PORT: String(healerPort), WEB_PORT: String(webPort), RUN_ID: runId, COMPOSE_PROJECT_NAME: project };
    // The shipped file as is, but for one thing an override cannot undo: published ports are refused
    // with host networking, so the copy drops healer's `ports` (test/compose/host-network.yml does the rest).
    const shipped = parse(readFileSync(`${repo}compose/docker-compose.yml`, 'utf8')) as { services: Record<string, Record<string, unknown>> };
    expect(shipped.services.healer?.ports).toEqual(['127.0.0.1:9299:9299']);
    delete shipped.services.healer?.ports;
    const copy = `${mkdtempSync(`${tmpdir()}/healer-compose-`)}/docker-compose.yml`;
    writeFileSync(copy, stringify(shipped));
    const compose = (...args: string[]) =>
      sh('docker-compose', ['--project-directory', `${repo}compose`, '-f', copy, '-f', `${repo}test/compose/host-network.yml`, ...args], { cwd: `${repo}compose`, env, timeoutMs: 120_000 });
    suite.defer(async () => void (await compose('down', '-v', '--timeout', '5').catch(() => undefined)));
    await compose('up', '-d', '--no-build');

    const web = (await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`, 'com.docker.compose.service=web'] } }))[0];
    if (!web) throw new Error('compose did not start the web service');
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    await waitFor('healer answers', async () => (await fetch(`http://127.0.0.1:${healerPort}/healthz`).catch(() => undefined))?.status === 200, 30_000);
    const watched = async () => ((await (await fetch(`http://127.0.0.1:${healerPort}/api/status`)).json()) as { containers: { name: string; service: string; state: string }[] }).containers;
    await waitFor('web healthy', async () => (await watched()).some((c) => c.service === 'web' && c.state === 'healthy'));

    await execIn(web.Id, ['rm', '/www/health']);
    await waitFor('web restarted by healer', () => events.count(web.Id, 'restart') >= 1);
    await waitFor('web healthy again', async () => (await watched()).some((c) => c.service === 'web' && c.state === 'healthy'));
    await sleep(1000);
    expect(events.count(web.Id, 'restart')).toBe(1);
    expect((await watched()).map((c) => c.service)).toEqual(['web']); // only its own project's opted-in app
  }, 120_000);

  it.each([[['docker-compose.yml']], [['docker-compose.socket-proxy.yml']], [['docker-compose.yml', 'monitoring.yml']]])('compose files %j are valid for docker-compose', async (files) => {
    const args = files.flatMap((f) => ['-f', f]);
    const { stdout } = await sh('docker-compose', [...args, 'config'], { cwd: `${repo}compose` });
    const config = parse(stdout) as { services: Record<string, { environment?: Record<string, string>; volumes?: string[] }> };
    expect(config.services.healer?.environment?.HEALER_CONFIG).toBe('/config/watchdog.yml');
    expect(config.services.healer?.volumes?.some((v) => v.endsWith(':/data:rw'))).toBe(true);
  });
});


async function execOut(id: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => stream.once('end', r));
  // drop the 8-byte multiplexing headers
  const raw = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const len = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}