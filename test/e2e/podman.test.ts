import { execFile as execFileCb } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { appCommand, docker, engineEnv, fastLabels, IMAGE, newRunId, sleep, startTestHealer, TEST_LABEL, waitFor, type LogLine } from '../helpers/engine.ts';

// The same cases as on Docker, against Podman 4.3's Docker-compatible service (scripts/podman-up.sh).
// There is no systemd here, so the test runs `podman healthcheck run` every second, as Podman's timer would.
const execFile = promisify(execFileCb);
const SOCK = process.env.HEALER_PODMAN_SOCK ?? '/tmp/healer-podman/podman.sock';
const HOST = `unix://${SOCK}`;
const LABEL = 'healer-test-podman';
const root = new URL('../../', import.meta.url).pathname;
const api = new Docker({ socketPath: SOCK });

const podman = async (...args: string[]): Promise<string> => (await execFile('podman', args, { timeout: 60_000 })).stdout.trim();

let runId = '';
let cleanups: (() => Promise<void> | void)[] = [];
const defer = (fn: () => Promise<void> | void): void => void cleanups.push(fn);

async function removeAll(): Promise<void> {
  const ids = (await podman('ps', '-aq', '--filter', `label=${LABEL}`)).split('\n').filter((s) => s !== '');
  if (ids.length > 0) await podman('rm', '-f', '-v', '-t', '0', ...ids).catch(() => undefined);
}

beforeAll(async () => {
  try {
    await execFile(`${root}scripts/podman-up.sh`, { timeout: 120_000, env: engineEnv() });
    await api.ping();
  } catch (err) {
    throw new Error(`the Podman tests need podman and its service (scripts/podman-up.sh): ${(err as Error).message}`, { cause: err });
  }
  await removeAll();
}, 180_000);
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await removeAll();
});
afterAll(removeAll);

/** podman run on the host network, with limits this VM can grant; returns the full id. */
async function run(name: string, labels: Record<string, string>, cmd: string[], extra: string[] = []): Promise<string> {
  const l = Object.entries({ [LABEL]: runId, ...labels }).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return podman('run', '-d', '--name', `${name}-${runId}`, '--network', 'host', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096', ...l, ...extra, 'healer-test-busybox:latest', ...cmd);
}

/** Every engine event of this run's containers, as the API serves them (Podman's own dialect). */
async function recordEvents(): Promise<{ count(id: string, action: string): number; all(id: string): string[]; starts(id: string): number[]; close(): void }> {
  const stream = (await api.getEvents({ filters: { type: ['container'], label: [`${LABEL}=${runId}`] } })) as Readable;
  const seen: { id: string; action: string; at: number }[] = [];
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl)) as { Action: string; Actor: { ID: string } };
      buf = buf.slice(nl + 1);
      seen.push({ id: e.Actor.ID, action: e.Action, at: Date.now() });
    }
  });
  defer(() => void stream.destroy());
  return {
    count: (id, action) => seen.filter((e) => e.id === id && e.action === action).length,
    all: (id) => seen.filter((e) => e.id === id).map((e) => `${e.at} ${e.action}`),
    starts: (id) => seen.filter((e) => e.id === id && e.action === 'start').map((e) => e.at),
    close: () => stream.destroy(),
  };
}

async function start(self?: { ids: string[]; hostname: string }) {
  const h = await startTestHealer({ DOCKER_HOST: HOST, HEALER_DISCOVERY_SCOPE: runId }, undefined, self ?? { ids: [], hostname: 'test' });
  defer(() => h.stop());
  return h;
}

const running = async (id: string): Promise<boolean> => (await api.getContainer(id).inspect()).State.Running;
const logged = (logs: readonly LogLine[], msg: string) => logs.filter((l) => l.msg === msg);

describe('Podman', () => {
  it('is recognised, and an app whose HTTP liveness fails is restarted once', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const port = await freePort();
    const id = await run('http', fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '2s' }), appCommand(port));
    const { healer, logs } = await start();
    expect(logs.find((l) => l.msg.startsWith('following podman events'))).toMatchObject({ engine: 'podman', engineVersion: expect.stringMatching(/^4\./) as unknown, apiVersion: '1.41' });
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);
    await podman('exec', id, 'rm', '/www/health');
    await waitFor('restart', () => events.count(id, 'restart') >= 1);
    await waitFor('recovered', () => logged(logs, 'container recovered').length === 1);
    await sleep(2000);
    expect(events.count(id, 'restart')).toBe(1);
    expect(logged(logs, 'container died')).toHaveLength(0); // the restart's own exit is not a crash
    expect(await running(id)).toBe(true);
  });

  it('restarts on an unhealthy HEALTHCHECK once, and never while healthy checks repeat', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const port = await freePort();
    const id = await run('hc', { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '2s' }, appCommand(port), [
      '--health-cmd', `wget -q -O /dev/null http://127.0.0.1:${port}/health`, '--health-interval', '0', '--health-retries', '1',
    ]);
    const timer = setInterval(() => void podman('healthcheck', 'run', id).catch(() => undefined), 1000);
    defer(() => clearInterval(timer));
    const { healer, logs } = await start();
    await waitFor('watched with engine health', () => healer.watchdog.watches.get(id)?.policy.liveness?.spec.kind === 'docker');
    await sleep(4000); // four healthy checks, each an event on Podman
    expect(events.count(id, 'restart')).toBe(0);
    await podman('exec', id, 'rm', '/www/health');
    await waitFor('restart', () => events.count(id, 'restart') >= 1);
    await sleep(4000); // healthy again: repeated healthy events must not restart it
    expect(events.count(id, 'restart')).toBe(1);
    expect(logged(logs, 'restarting container')[0]).toMatchObject({ action: 'restart' });
  });

  it('starts a crashing container again with growing gaps and flags the crash loop (on_exit)', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const { healer, logs } = await start();
    // A crash's exit reaches healer 5 s after it on Podman (held for the cleanups that tell it from a stop,
    // SECOND_CLEANUP_MS), and healer's first start is at once: backoff from 6 s, so every later gap is the
    // backoff's (~6, then 12 s), clear of the hold. More than 2 restarts is the loop: at the 4th start.
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '6s', 'healer.backoff.max': '30s', 'healer.crashloop.window': '5m', 'healer.crashloop.restarts': '2' };
    const id = await run('crash', labels, ['sh', '-c', 'sleep 0.3; exit 3']);
    await waitFor('4 starts', () => events.starts(id).length >= 4, 60_000);
    await waitFor('the crash loop', () => logged(logs, 'crash loop').length === 1, 20_000);
    // The gaps after healer's first (immediate) start: the backoff, doubled.
    const [, , second = 0, third = 0] = events.starts(id).map((t, i, all) => t - (all[i - 1] ?? t));
    expect(third).toBeGreaterThan(1.5 * second);
    expect(second).toBeGreaterThan(5_500);
    expect(logged(logs, 'container died')[0]).toMatchObject({ exitCode: 3 });
    await waitFor('status: crash loop open, last exit 3', () => {
      const c = healer.watchdog.status().containers[0];
      return c?.crashLoop === 'open' && c.lastExit?.exitCode === 3;
    });
  }, 100_000);

  it.each([
    // PID 1 without a handler ignores SIGTERM: the stop ends in SIGKILL, and Podman sends `stop` then `die`
    ['ignores SIGTERM (stopped by SIGKILL)', 'while true; do sleep 0.1; done', undefined],
    // ends as SIGTERM's default action would (143): Podman sends only `die`
    ['exits on SIGTERM as its default action does', 'trap "exit 143" TERM; while true; do sleep 0.1; done', 143],
    // exits 7 on SIGTERM, a code of its own: only `die 7`, told from a crash by the stop's two cleanups
    ['exits 7 on SIGTERM (a code of its own)', 'trap "exit 7" TERM; while true; do sleep 0.1; done', 7],
  ])('keeps a `podman stop` stopped, even with on_exit: an app that %s', async (_, script, exitCode) => {
    runId = newRunId();
    const events = await recordEvents();
    const { logs } = await start();
    const id = await run('opstop', { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '400ms' }, ['sh', '-c', script]);
    await waitFor('watched', () => logged(logs, 'watching container').length === 1);
    await podman('stop', '-t', '1', id);
    await sleep(3000);
    const exit = (await api.getContainer(id).inspect()).State.ExitCode;
    if (events.starts(id).length !== 1) console.log('DEBUG', JSON.stringify(events.all(id)), JSON.stringify(logs.filter((l) => l.container !== undefined).map((l) => [l.time, l.msg, l.exitCode])));
    if (exitCode !== undefined) expect(exit).toBe(exitCode);
    expect(events.starts(id)).toHaveLength(1);
    expect(logged(logs, 'container stopped by an operator; it stays stopped')).toHaveLength(1);
    expect(logged(logs, 'container died'), `exit ${exit}`).toHaveLength(0);
  });

  it('starts an on-failure:1 container once Podman has given up on it (on_exit), never before (review11 #6)', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const { logs } = await start();
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '400ms' };
    const id = await run('onfail', labels, ['sh', '-c', 'sleep 0.3; exit 3'], ['--restart', 'on-failure:1']);
    await waitFor('healer starting it', () => logged(logs, 'starting container').length > 0, 30_000);
    const at = Number(logged(logs, 'starting container')[0]?.time ?? 0);
    // Its own start and Podman's one retry, both before healer's start; then healer's, and no failure.
    expect(events.starts(id).filter((t) => t < at)).toHaveLength(2);
    await waitFor('healer start', () => events.starts(id).length >= 3);
    expect(logged(logs, 'restart failed')).toEqual([]);
  }, 60_000);

  it('leaves an unlabelled container alone', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const { healer } = await start();
    const id = await run('plain', { 'healer.scope': runId }, ['sh', '-c', 'sleep 0.3; exit 3']);
    await sleep(3000);
    expect(healer.watchdog.watches.has(id)).toBe(false);
    expect(events.starts(id)).toHaveLength(1);
  });

  it('follows a rename of a container listed with a label error, and reports a docker probe without a HEALTHCHECK (review 25)', async () => {
    runId = newRunId();
    const { healer } = await start();
    const idle = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];
    const bad = await run('0123456789ab_web', { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness.interval': 'soon' }, idle);
    const nohc = await run('nohc', { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': 'docker' }, idle, ['--no-healthcheck']);
    await waitFor('its label problem', () => healer.watchdog.status().problems.some((p) => p.id === bad));
    await podman('rename', bad, `web-${runId}`);
    await waitFor('listed by its new name', () => healer.watchdog.status().problems.find((p) => p.id === bad)?.name === `web-${runId}`);
    await waitFor('the docker probe reported', () => healer.watchdog.status().containers.find((c) => c.name === `nohc-${runId}`)?.configProblem !== undefined);
    expect(healer.watchdog.status().containers.find((c) => c.name === `nohc-${runId}`)?.configProblem).toMatch(/^liveness probe docker cannot report: the container has no HEALTHCHECK/);
    expect(healer.watchdog.watches.has(nohc)).toBe(true);
  });

  it('survives a restart of the Podman service and heals afterwards', async () => {
    runId = newRunId();
    const port = await freePort();
    const id = await run('svc', fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '2s' }), appCommand(port));
    const { healer, logs } = await start();
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);
    const pid = Number((await execFile('cat', ['/tmp/healer-podman/service.pid'])).stdout.trim());
    process.kill(pid, 'SIGTERM');
    await waitFor('healer sees the engine gone', () => logs.some((l) => /event stream lost|unreachable/.test(l.msg)), 20_000);
    await execFile(`${root}scripts/podman-up.sh`, { timeout: 120_000, env: engineEnv() });
    await waitFor('reconnected', () => healer.watchdog.status().engineReachable === true, 30_000);
    const events = await recordEvents();
    await podman('exec', id, 'rm', '/www/health');
    await waitFor('restart after the service came back', () => events.count(id, 'restart') >= 1, 30_000);
  });
});

describe('on the host, containers running before healer starts are watched (exact self-detection)', () => {
  it('Podman: every labelled container already running is watched and healed, none taken for healer', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const ports = [await freePort(), await freePort()];
    const ids = [
      await run('pre1', fastLabels(runId, `http://:${ports[0] ?? 0}/health`, { 'healer.restart.timeout': '2s' }), appCommand(ports[0] ?? 0)),
      await run('pre2', fastLabels(runId, `http://:${ports[1] ?? 0}/health`, { 'healer.restart.timeout': '2s' }), appCommand(ports[1] ?? 0)),
    ];
    const mountinfo = (await execFile('cat', ['/proc/self/mountinfo'])).stdout;
    expect(mountinfo).toMatch(new RegExp(`${ids[0] ?? 'x'}/userdata/shm`)); // the mounts the old rule mistook for healer's
    const h = await startTestHealer({ DOCKER_HOST: HOST, HEALER_DISCOVERY_SCOPE: runId }); // real self-detection
    defer(() => h.stop());
    for (const id of ids) await waitFor('watched', () => h.healer.watchdog.watches.get(id)?.state.liveness.up === true);
    await podman('exec', ids[1] ?? '', 'rm', '/www/health');
    await waitFor('healed', () => events.count(ids[1] ?? '', 'restart') >= 1);
  });

  it('Docker: containers with shareable IPC (their shm in the host mount table) are watched and healed', async () => {
    runId = newRunId();
    const ports = [await freePort(), await freePort()];
    const ids: string[] = [];
    for (const [i, port] of ports.entries()) {
      const c = await docker.createContainer({
        name: `pre${i}-${runId}`,
        Image: IMAGE,
        Cmd: appCommand(port),
        Labels: { [TEST_LABEL]: runId, ...fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '2s' }) },
        HostConfig: { NetworkMode: 'host', IpcMode: 'shareable' },
      });
      defer(() => c.remove({ force: true, v: true }).catch(() => undefined));
      await c.start();
      ids.push(c.id);
    }
    const mountinfo = (await execFile('cat', ['/proc/self/mountinfo'])).stdout;
    expect(mountinfo).toMatch(new RegExp(`containers/${ids[0] ?? 'x'}/mounts/shm`));
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId }); // the default engine, real self-detection
    defer(() => h.stop());
    for (const id of ids) await waitFor('watched', () => h.healer.watchdog.watches.get(id)?.state.liveness.up === true);
    const before = (await docker.getContainer(ids[1] ?? '').inspect()).State.StartedAt;
    await docker.getContainer(ids[1] ?? '').exec({ Cmd: ['rm', '/www/health'] }).then((e) => e.start({}));
    await waitFor('healed', async () => (await docker.getContainer(ids[1] ?? '').inspect()).State.StartedAt !== before);
  });
});
