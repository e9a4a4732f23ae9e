import { execFile as execFileCb } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerting/types.ts';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { startPrometheus } from '../helpers/prometheus.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, engineEnv, newRunId, sleep, startTestHealer, waitFor, type LogLine } from '../helpers/engine.ts';

// A single-node Docker Swarm on a second engine of its own (scripts/swarm-up.sh: own data root, exec
// root and socket, docker_gwbridge outside the private ranges, images tagged 127.0.0.1:5000/... and
// services created with --no-resolve-image, host networking), never the engine the other tests use.
// It is torn down after the file (scripts/swarm-down.sh), also when a test fails.
const execFile = promisify(execFileCb);
const root = new URL('../../', import.meta.url).pathname;
const DIR = process.env.HEALER_SWARM_DIR ?? '/tmp/healer-swarm-e2e';
const SOCK = `${DIR}/d.sock`;
const HOST = `unix://${SOCK}`;
const IMAGE = '127.0.0.1:5000/healer-test-busybox:latest';
const api = new Docker({ socketPath: SOCK });

const cli = async (...args: string[]): Promise<string> =>
  (await execFile('docker', args, { env: { ...process.env, DOCKER_HOST: HOST }, timeout: 60_000 })).stdout.trim();

let runId = '';
let cleanups: (() => Promise<void> | void)[] = [];
const defer = (fn: () => Promise<void> | void): void => void cleanups.push(fn);
const WORKER_DIR = `${DIR}-worker`;
const downOne = (dir: string): Promise<unknown> => execFile(`${root}scripts/swarm-down.sh`, [dir], { timeout: 120_000 }).catch(() => undefined);
// The two-node test's worker engine first (also when that test failed), then the manager's.
const down = async (): Promise<unknown> => (await downOne(WORKER_DIR), await downOne(DIR));

beforeAll(async () => {
  try {
    await execFile(`${root}scripts/swarm-up.sh`, [DIR], { timeout: 120_000, env: engineEnv() });
    await api.ping();
  } catch (err) {
    await down();
    throw new Error(`the Swarm tests need dockerd and busybox-static (scripts/swarm-up.sh): ${(err as Error).message}`, { cause: err });
  }
}, 180_000);
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});
afterAll(down, 120_000);

/** A replicated service of one task on the host network; its containers carry `labels`. */
async function service(name: string, labels: Record<string, string>, cmd: string[]): Promise<string> {
  const full = `${name}-${runId}`;
  const l = Object.entries({ 'healer.scope': runId, ...labels }).flatMap(([k, v]) => ['--container-label', `${k}=${v}`]);
  await cli('service', 'create', '-d', '--name', full, '--network', 'host', '--no-resolve-image', '--stop-grace-period', '1s', '--restart-delay', '1s', ...l, IMAGE, ...cmd);
  defer(async () => void (await cli('service', 'rm', full).catch(() => '')));
  return full;
}

/** The service's task containers, newest first, running or not. */
async function tasks(svc: string): Promise<Docker.ContainerInfo[]> {
  const list = await api.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${svc}`] } });
  return list.sort((a, b) => b.Created - a.Created);
}

/** Every container event on the swarm's engine from now on. */
async function recordEvents(): Promise<{ count(action: string, id?: string): number; ids(action: string): string[] }> {
  const stream = (await api.getEvents({ filters: { type: ['container'] } })) as Readable;
  const seen: { id: string; action: string }[] = [];
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl)) as { Action: string; Actor: { ID: string } };
      buf = buf.slice(nl + 1);
      seen.push({ id: e.Actor.ID, action: e.Action.split(':')[0] ?? e.Action });
    }
  });
  defer(() => void stream.destroy());
  return {
    count: (action, id) => seen.filter((e) => e.action === action && (id === undefined || e.id === id)).length,
    ids: (action) => [...new Set(seen.filter((e) => e.action === action).map((e) => e.id))],
  };
}

async function start(yaml = '') {
  const h = await startTestHealer({ DOCKER_HOST: HOST, HEALER_DISCOVERY_SCOPE: runId }, yaml || undefined, { ids: [], hostname: 'test' });
  defer(() => h.stop());
  return h;
}

const logged = (logs: readonly LogLine[], msg: string) => logs.filter((l) => l.msg === msg);

/**
 * healer's own image, built from the Dockerfile on the stand-in Node 24 base on the main engine (as
 * test/e2e/image does; its layers are shared), and loaded into the swarm's engine under a
 * 127.0.0.1:5000/ tag, so no task start looks a registry up.
 */
let built: Promise<string> | undefined;
const healerImage = (): Promise<string> => (built ??= buildHealerImage());
async function buildHealerImage(): Promise<string> {
  const tag = '127.0.0.1:5000/healer:test';
  const main = { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' };
  await execFile('docker', ['build', '-q', '--network', 'host', '--build-arg', 'NODE_IMAGE=healer-test-node:latest', '-t', 'healer:test', root], { env: main, timeout: 600_000 });
  await execFile('sh', ['-c', `docker save healer:test | DOCKER_HOST=${HOST} docker load -q && DOCKER_HOST=${HOST} docker tag healer:test ${tag}`], { env: main, timeout: 120_000 });
  return tag;
}

describe('Docker Swarm', () => {
  it("a task failing healer's HTTP probe is handed back and replaced by Swarm: no restart, no orphan", async () => {
    runId = newRunId();
    const events = await recordEvents();
    const port = await freePort();
    const svc = await service(
      'web',
      { 'healer.enable': 'true', 'healer.liveness': `http://:${port}/health`, 'healer.liveness.interval': '300ms', 'healer.liveness.failures': '2', 'healer.restart.timeout': '1s' },
      appCommand(port),
    );
    const first = await waitFor('the first task running', async () => (await tasks(svc)).find((c) => c.State === 'running'));
    const { healer, logs } = await start();
    await waitFor('first passing probe', () => healer.watchdog.watches.get(first.Id)?.state.liveness.up === true);
    expect(healer.watchdog.status().containers.find((c) => c.id === first.Id)?.task).toMatchObject({ service: svc, slot: 1, node: expect.stringMatching(/^\w+$/) as unknown });
    const startsBefore = events.count('start', first.Id);
    await cli('exec', first.Id, 'rm', '/www/health');
    await waitFor('the failing task removed', () => events.count('destroy', first.Id) === 1);
    const next = await waitFor('a new task from Swarm, probed healthy', async () => {
      const c = (await tasks(svc)).find((t) => t.State === 'running' && t.Id !== first.Id);
      return c && healer.watchdog.watches.get(c.Id)?.state.liveness.up === true ? c : undefined;
    });
    await sleep(2000);
    expect(events.count('restart')).toBe(0);
    expect(events.count('start', first.Id)).toBe(startsBefore); // never started again
    const all = await tasks(svc);
    expect(all.map((c) => c.Id)).toEqual([next.Id]); // nothing left of the failed task: no orphan
    expect(logged(logs, 'task container removed; its orchestrator starts a new one')).toHaveLength(1);
    expect(logged(logs, 'restarting container')).toHaveLength(0);
  });

  it('a crash-looping service is one crash loop, and its exited tasks are never started', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const r = await receiver();
    defer(() => r.close());
    const { logs } = await start(`alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${r.url}\n`);
    // restart.on_exit would start a crashed plain container: a task's exit is Swarm's to handle.
    const svc = await service('loop', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true', 'healer.crashloop.restarts': '2', 'healer.crashloop.window': '1m' }, [
      'sh', '-c', 'echo crashing; sleep 0.5; exit 3',
    ]);
    const alerts = (): Alert[] => r.got.map((g) => (g.body as { alert: Alert }).alert);
    await waitFor('the crashloop alert', () => alerts().some((a) => a.event === 'crashloop'), 60_000);
    const startsAtAlert = events.ids('start').length;
    await waitFor('two more replacements', () => events.ids('start').length >= startsAtAlert + 2, 30_000);
    await sleep(1000);
    const loops = alerts().filter((a) => a.event === 'crashloop');
    expect(loops).toHaveLength(1);
    expect(loops[0]?.reason).toMatch(new RegExp(`^${svc}\\.1: 3 tasks failed within 60s \\(limit 2\\); last: exit 3, exit 3, exit 3; `));
    expect(loops[0]).toMatchObject({ exitCode: 3, container: { service: svc } });
    // Each task container started once, by Swarm; the exited ones are task history.
    const started = events.ids('start');
    expect(started.length).toBeGreaterThanOrEqual(4);
    for (const id of started) expect(events.count('start', id)).toBe(1);
    expect(events.count('restart')).toBe(0);
    expect(logged(logs, 'starting container')).toHaveLength(0);
    expect(logged(logs, 'service slot crash loop')).toHaveLength(1);
  });

  // swarm.crashloops: node. Swarm removes the task container the slot's alert names as task history
  // (task-history-limit 5) while the slot loops on: the alert (its own key, not that container's id)
  // stays open in Alertmanager, and ends once the slot is quiet for its window (here: service removed).
  it('with swarm.crashloops: node, a looping slot stays firing in Alertmanager after Swarm removes the task container its alert names, and is resolved once the slot is quiet', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const r = await receiver();
    defer(() => r.close());
    await start(`alerts:\n  channels:\n    - name: am\n      type: alertmanager\n      url: http://127.0.0.1:${r.port}\n`);
    const svc = await service('amloop', { 'healer.enable': 'true', 'healer.crashloop.restarts': '2', 'healer.crashloop.window': '10s' }, ['sh', '-c', 'echo crashing; sleep 0.5; exit 3']);
    const loops = () => r.got.flatMap((g) => g.body as { labels: Record<string, string>; endsAt?: string }[]).filter((a) => a.labels.alertname === 'HealerCrashLoop');
    const name = (await waitFor('the crashloop alert firing', () => loops()[0], 60_000)).labels.container ?? '';
    const named = await waitFor('its task container', async () => (await tasks(svc)).find((c) => c.Names.includes(`/${name}`)));
    await waitFor('Swarm removing that container as task history', () => events.count('destroy', named.Id) === 1, 60_000);
    const startsAtRemoval = events.ids('start').length;
    await waitFor('the slot looping on: two more tasks', () => events.ids('start').length >= startsAtRemoval + 2, 30_000);
    expect(loops().filter((a) => a.endsAt !== undefined)).toEqual([]);
    expect(loops().every((a) => a.labels.container === name)).toBe(true);
    // The slot quiets (its service removed): once its last failure has left the 10s window (a task fails
    // every ~2 s while it loops, so it stays firing until then), it is resolved.
    await cli('service', 'rm', svc);
    const ended = await waitFor('the alert resolved', () => loops().find((a) => a.endsAt !== undefined), 35_000);
    expect(ended.labels.container).toBe(name);
  });

  it('with swarm.crashloops: cluster, the leader counts a replicated slot from its task list: one crashloop alert, sent by the leader path', async () => {
    runId = newRunId();
    const r = await receiver();
    defer(() => r.close());
    const { healer, logs } = await start(`swarm:\n  crashloops: cluster\n  poll: 1s\nalerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${r.url}\n`);
    const svc = await service('cloop', { 'healer.enable': 'true', 'healer.crashloop.restarts': '2', 'healer.crashloop.window': '1m' }, ['sh', '-c', 'echo crashing; sleep 0.5; exit 3']);
    const alerts = (): Alert[] => r.got.map((g) => (g.body as { alert: Alert }).alert);
    await waitFor('the crashloop alert', () => alerts().some((a) => a.event === 'crashloop'), 60_000);
    expect(healer.watchdog.cluster?.leader).toBe(true); // the single node leads its swarm
    const polls = healer.watchdog.cluster?.polls ?? 0;
    await waitFor('three more polls with the slot still looping', () => (healer.watchdog.cluster?.polls ?? 0) >= polls + 3, 20_000);
    await sleep(500);
    const loops = alerts().filter((a) => a.event === 'crashloop');
    expect(loops).toHaveLength(1);
    expect(loops[0]?.reason).toMatch(new RegExp(`^${svc}\\.1: [34] tasks failed within 60s \\(limit 2\\); last: exit 3, exit 3, exit 3(, exit 3)?; `));
    expect(loops[0]).toMatchObject({ exitCode: 3, container: { service: svc, name: expect.stringMatching(new RegExp(`^${svc}\\.1\\.\\w+$`)) as unknown } });
    expect(loops[0]?.logs).toContain('crashing'); // the latest task's container is on this node: its log lines come along
    // The node's own count saw the same tasks and stayed quiet: the one alert came from the cluster count.
    expect(logged(logs, 'service slot crash loop').map((l) => l.counted)).toEqual(['cluster']);
    expect(logs.filter((l) => l.component === 'cluster' && l.level === 40)).toEqual([]); // no warning: nothing refused
    expect(logs.some((l) => l.component === 'cluster' && l.msg.startsWith('the Swarm leader is this node'))).toBe(true);
  });

  // Two nodes: a worker engine joins this swarm (scripts/swarm-worker-up.sh) and a healer runs on each.
  // One replicated slot's tasks fail on both nodes; only the leader's healer alerts, once, having counted
  // the tasks of both, and the worker's task's log lines come through the manager.
  it('across two nodes, with cluster, a slot failing on both is one crashloop alert, from the leader', async () => {
    runId = newRunId();
    const wsock = (await execFile(`${root}scripts/swarm-worker-up.sh`, [WORKER_DIR, SOCK], { timeout: 120_000, env: engineEnv() })).stdout.trim();
    const worker = new Docker({ socketPath: wsock });
    const workerId = ((await worker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    defer(async () => {
      await downOne(WORKER_DIR);
      await cli('node', 'rm', '--force', workerId).catch(() => '');
    });
    expect(workerId).not.toBe('');
    const r = await receiver();
    defer(() => r.close());
    const yaml = `swarm:\n  crashloops: cluster\n  poll: 1s\nalerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${r.url}\n`;
    const { logs } = await start(yaml);
    const w = await startTestHealer({ DOCKER_HOST: `unix://${wsock}`, HEALER_DISCOVERY_SCOPE: runId }, yaml, { ids: [], hostname: 'worker' });
    defer(() => w.stop());
    const svc = await service('spread', { 'healer.enable': 'true', 'healer.crashloop.restarts': '3', 'healer.crashloop.window': '2m' }, ['sh', '-c', 'echo crashing; sleep 0.5; exit 3']);
    // Swarm places the slot's new tasks on either node: wait until both have run one.
    const seen = new Set<string>();
    const nodesOf = async (): Promise<Set<string>> => {
      const list = (await api.listTasks({ filters: { service: [svc] } })) as { NodeID?: string; Status?: { State?: string } }[];
      for (const t of list) if (t.Status?.State === 'failed' && t.NodeID) seen.add(t.NodeID);
      return seen;
    };
    await waitFor('failed tasks of the slot on both nodes', async () => (await nodesOf()).size === 2, 90_000);
    const alerts = (): Alert[] => r.got.map((g) => (g.body as { alert: Alert }).alert);
    await waitFor('the crashloop alert', () => alerts().some((a) => a.event === 'crashloop'), 60_000);
    await sleep(3000); // three more polls of the leader, with the slot still failing on both nodes
    const loops = alerts().filter((a) => a.event === 'crashloop');
    expect(loops).toHaveLength(1);
    expect(loops[0]?.reason).toMatch(new RegExp(`^${svc}\\.1: \\d+ tasks failed within 120s \\(limit 3\\); `));
    expect(loops[0]?.logs).toContain('crashing');
    expect(logged(logs, 'service slot crash loop').map((l) => l.counted)).toEqual(['cluster']);
    expect(logged(w.logs, 'service slot crash loop')).toEqual([]);
    expect(w.logs.some((l) => l.component === 'cluster' && l.msg.startsWith('this engine is a Swarm worker'))).toBe(true);
  }, 240_000);

  it('rolling updates replace tasks without reading as a crash loop', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const port = await freePort();
    const svc = await service('update', { 'healer.enable': 'true', 'healer.liveness': `http://:${port}/health`, 'healer.liveness.interval': '300ms', 'healer.crashloop.restarts': '1' }, appCommand(port));
    const { healer, logs } = await start();
    const first = await waitFor('the first task running', async () => (await tasks(svc)).find((c) => c.State === 'running'));
    // Each task watched before the next update stops it: a stop of a container healer has not yet
    // inspected is not logged as an operator's stop (on a loaded machine discovery can trail an update).
    await waitFor('healer watches the first task', () => healer.watchdog.watches.has(first.Id));
    const before = events.ids('start').length;
    for (let i = 1; i <= 3; i++) {
      await cli('service', 'update', '-d', '-q', '--force', svc);
      await waitFor(`update ${i} started its new task`, () => events.ids('start').length >= before + i, 30_000);
      const task = events.ids('start')[before + i - 1] ?? '';
      await waitFor(`healer watches update ${i}'s task`, () => healer.watchdog.watches.has(task));
    }
    await waitFor('three operator stops logged', () => logs.filter((l) => l.msg === 'container stopped by an operator; it stays stopped').length >= 3, 15_000);
    await sleep(1000);
    expect(logs.filter((l) => l.msg === 'service slot crash loop' || l.msg === 'container died')).toEqual([]);
  });

  it('a task container restarted outside Swarm is reported as an orphan and, when allowed, removed', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const port = await freePort();
    const svc = await service(
      'orphan',
      { 'healer.enable': 'true', 'healer.liveness': `http://:${port}/health`, 'healer.liveness.interval': '300ms', 'healer.restart.timeout': '1s', 'healer.task.orphans': 'remove' },
      appCommand(port),
    );
    const first = await waitFor('the first task running', async () => (await tasks(svc)).find((c) => c.State === 'running'));
    const { healer, logs } = await start();
    await waitFor('first passing probe', () => healer.watchdog.watches.get(first.Id)?.state.liveness.up === true);
    const startsBefore = events.count('start', first.Id);
    await cli('restart', '-t', '1', first.Id); // what healer used to do: Swarm fails the task, the container runs on
    await waitFor('the orphan reported', () => logs.some((l) => l.msg === 'container orphan' && l.container === first.Names[0]?.slice(1)));
    await waitFor('the orphan removed', () => events.count('destroy', first.Id) === 1, 30_000);
    await waitFor('one task of the service running, a new one', async () => {
      const running = (await tasks(svc)).filter((t) => t.State === 'running');
      return running.length === 1 && running[0]?.Id !== first.Id;
    }, 30_000);
    expect(events.count('start', first.Id)).toBe(startsBefore + 1); // the operator's restart; healer never started it
    expect(logs.filter((l) => l.msg === 'service slot crash loop')).toEqual([]);
  });

  it("an orphan made while healer was not running is found at start-up through the manager's /tasks, and removed", async () => {
    runId = newRunId();
    const events = await recordEvents();
    const port = await freePort();
    const svc = await service(
      'late',
      { 'healer.enable': 'true', 'healer.liveness': `http://:${port}/health`, 'healer.liveness.interval': '300ms', 'healer.restart.timeout': '1s', 'healer.task.orphans': 'remove' },
      appCommand(port),
    );
    const first = await waitFor('the first task running', async () => (await tasks(svc)).find((c) => c.State === 'running'));
    // The first healer is stopped by the test itself (a second stop of it would fail), or after it on a failure.
    const before = await startTestHealer({ DOCKER_HOST: HOST, HEALER_DISCOVERY_SCOPE: runId }, undefined, { ids: [], hostname: 'test' });
    let running = true;
    defer(() => (running ? before.stop() : undefined));
    await waitFor('first passing probe', () => before.healer.watchdog.watches.get(first.Id)?.state.liveness.up === true);
    running = false;
    await before.stop();
    const startsBefore = events.count('start', first.Id);
    await cli('restart', '-t', '1', first.Id); // while healer is down: Swarm fails the task, the container runs on
    await waitFor('Swarm made a replacement task', async () => (await tasks(svc)).some((t) => t.Id !== first.Id), 30_000);
    expect((await api.getContainer(first.Id).inspect()).State.Running).toBe(true); // the orphan
    const { logs } = await start();
    const name = first.Names[0]?.slice(1);
    const orphan = await waitFor('the orphan reported', () => logs.find((l) => l.msg === 'container orphan' && l.container === name));
    // The app exits 0 at the restart's SIGTERM: Swarm holds its task as complete.
    expect(orphan.reason).toBe('runs outside its orchestrator, which no longer tracks it: its task is complete (desired state shutdown) (an orphan)');
    await waitFor('the orphan removed', () => events.count('destroy', first.Id) === 1, 30_000);
    await waitFor('one task of the service running, a new one', async () => {
      const running = (await tasks(svc)).filter((t) => t.State === 'running');
      return running.length === 1 && running[0]?.Id !== first.Id;
    }, 30_000);
    expect(events.count('start', first.Id)).toBe(startsBefore + 1); // the operator's restart; healer never started it
    expect(events.count('restart')).toBe(1);
  });

  it('through a socket proxy that refuses /tasks, healer says so once and still finds that orphan from its own record (and the cluster count says once that it cannot count)', async () => {
    runId = newRunId();
    const proxy = await startEngineProxy(SOCK);
    defer(() => proxy.close());
    proxy.refuseTasks = true;
    const port = await freePort();
    const svc = await service('proxied', { 'healer.enable': 'true', 'healer.liveness': `http://:${port}/health`, 'healer.liveness.interval': '300ms' }, appCommand(port));
    const other = await service('current', { 'healer.enable': 'true' }, ['sleep', '600']);
    const first = await waitFor('the first task running', async () => (await tasks(svc)).find((c) => c.State === 'running'));
    await waitFor('the other task running', async () => (await tasks(other)).some((c) => c.State === 'running'));
    await cli('restart', '-t', '1', first.Id); // before healer starts: no event of it will be seen
    await waitFor('Swarm made a replacement task', async () => (await tasks(svc)).some((t) => t.Id !== first.Id), 30_000);
    const { healer, logs } = await startTestHealer({ DOCKER_HOST: proxy.host, HEALER_DISCOVERY_SCOPE: runId }, 'swarm:\n  crashloops: cluster\n  poll: 300ms\n', { ids: [], hostname: 'test' }).then((h) => (defer(() => h.stop()), h));
    const orphan = await waitFor('the orphan reported', () => logs.find((l) => l.msg === 'container orphan' && l.container === first.Names[0]?.slice(1)));
    expect(orphan.reason).toBe('runs outside its orchestrator, which no longer tracks it: its container was started again after it had ended (an orphan)');
    await sleep(500);
    const told = logs.filter((l) => /cannot say which tasks are current/.test(l.msg));
    expect(told.map((l) => [l.level, l.why])).toEqual([[30, 'GET /tasks/{id} was refused (a socket proxy must allow TASKS=1)']]);
    expect(proxy.requests.filter((r) => r.startsWith('GET /tasks/'))).toHaveLength(1); // asked once, not per task container
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
    expect(logs.filter((l) => l.msg === 'container orphan')).toHaveLength(1);
    // swarm.crashloops: cluster: the leader's list of tasks is refused at every poll; said once, as a warning.
    await waitFor('three polls of the cluster count', () => (healer.watchdog.cluster?.polls ?? 0) >= 3);
    expect(proxy.requests.filter((r) => r === 'GET /tasks').length).toBeGreaterThanOrEqual(2); // asked at each poll
    expect(logs.filter((l) => l.component === 'cluster' && l.level === 40).map((l) => l.msg)).toEqual([
      'GET /tasks was refused (a socket proxy must allow TASKS=1): crash loops of replicated slots are not counted across the cluster; this node alerts those of its own tasks meanwhile (the other nodes do not)',
    ]);
  });

  // A stack's service is on its overlay network by default. healer on the host network (or outside
  // Docker, as here) cannot reach an overlay address: probing it would fail a healthy task and hand it
  // back to Swarm again and again. It is a configuration problem instead: reported, never acted on.
  it('a task on an overlay network healer is not on is never probed nor handed back: a configuration problem', async () => {
    runId = newRunId();
    const net = `ov-${runId}`;
    await cli('network', 'create', '-d', 'overlay', net);
    const full = `overlay-${runId}`;
    await cli('service', 'create', '-d', '--name', full, '--network', net, '--no-resolve-image', '--stop-grace-period', '1s',
      '--container-label', `healer.scope=${runId}`, '--container-label', 'healer.enable=true', '--container-label', 'healer.liveness=http://:8080/health',
      '--container-label', 'healer.liveness.interval=300ms', '--container-label', 'healer.liveness.failures=1', IMAGE, 'sleep', '600');
    defer(async () => {
      await cli('service', 'rm', full).catch(() => '');
      // The network goes once the service's task is gone.
      await waitFor('the overlay network removed', async () => (await cli('network', 'rm', net).then(() => true, () => false)), 30_000).catch(() => undefined);
    });
    const events = await recordEvents();
    const task = await waitFor('the task running', async () => (await tasks(full)).find((c) => c.State === 'running'));
    const { healer } = await start();
    const row = await waitFor('the task watched, its probe a configuration problem', () => {
      const c = healer.watchdog.status().containers.find((x) => x.id === task.Id);
      return c?.configProblem ? c : undefined;
    });
    expect(row.configProblem).toMatch(new RegExp(`^cannot be probed: the container is a Swarm task on (ingress, )?${net} \\(swarm networks, which healer reaches only from a container on the same network\\); attach healer to one of them`));
    await sleep(2000);
    expect(events.count('kill', task.Id) + events.count('destroy', task.Id)).toBe(0);
    expect((await tasks(full)).map((c) => [c.Id, c.State])).toEqual([[task.Id, 'running']]);
    expect(healer.watchdog.watches.get(task.Id)?.state.liveness.up).not.toBe(false);
  });

  it('healer check on the manager warns about a service whose healer labels are service labels', async () => {
    runId = newRunId();
    const full = `svclabels-${runId}`;
    await cli('service', 'create', '-d', '--name', full, '--network', 'host', '--no-resolve-image', '--label', 'healer.enable=true', '--label', 'healer.liveness=http://:1/x', IMAGE, 'sleep', '600');
    defer(async () => void (await cli('service', 'rm', full).catch(() => '')));
    const env = { ...process.env, DOCKER_HOST: HOST, HEALER_CONFIG: '', HEALER_DISCOVERY_SCOPE: runId };
    const { stdout } = await execFile(process.execPath, [`${root}dist/cli.js`, 'check'], { env, timeout: 30_000 });
    expect(stdout).toContain(`WARN    service ${full}: healer.enable, healer.liveness are service labels (deploy.labels, or --label), which its containers do not get;`);
    const json = JSON.parse((await execFile(process.execPath, [`${root}dist/cli.js`, 'check', '--json'], { env, timeout: 30_000 })).stdout) as { warnings?: string[] };
    expect(json.warnings?.some((w) => w.startsWith(`service ${full}:`))).toBe(true);
  });

  it("a task's failing HEALTHCHECK is left to Swarm: reported, replaced by Swarm, not by healer", async () => {
    runId = newRunId();
    const events = await recordEvents();
    const port = await freePort();
    const full = `hc-${runId}`;
    await cli('service', 'create', '-d', '--name', full, '--network', 'host', '--no-resolve-image', '--stop-grace-period', '1s', '--restart-delay', '1s',
      '--container-label', 'healer.enable=true', '--container-label', `healer.scope=${runId}`,
      '--health-cmd', `wget -q -O /dev/null http://127.0.0.1:${port}/health`, '--health-interval', '1s', '--health-retries', '1', '--health-start-period', '0s',
      IMAGE, ...appCommand(port));
    defer(async () => void (await cli('service', 'rm', full).catch(() => '')));
    const { healer, logs } = await start();
    const first = await waitFor('the task healthy, judged by its HEALTHCHECK', async () => {
      const c = (await tasks(full)).find((t) => t.State === 'running');
      const w = c && healer.watchdog.watches.get(c.Id);
      return w?.policy.liveness?.spec.kind === 'docker' && w.state.liveness.up === true ? c : undefined;
    }, 30_000);
    await cli('exec', first.Id, 'rm', '/www/health');
    await waitFor('healer reports it unhealthy', () => logs.some((l) => l.msg === 'container unhealthy' && l.container === first.Names[0]?.slice(1)), 20_000);
    await waitFor('Swarm replaces it', async () => (await tasks(full)).some((t) => t.State === 'running' && t.Id !== first.Id), 30_000);
    expect(logs.find((l) => l.msg === 'container unhealthy')?.reason).toBe('docker HEALTHCHECK reports unhealthy; left to the orchestrator to replace');
    expect(logs.filter((l) => /decided to|task container removed|restarting container/.test(l.msg))).toEqual([]);
    expect(events.count('restart')).toBe(0);
    expect(events.count('destroy', first.Id)).toBe(0); // Swarm keeps it as task history; healer did not remove it
  });

  it('deployed with docker stack deploy from compose/stack.yml, healer heals a neighbour service and never acts on itself', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const image = await healerImage();
    const listen = await freePort();
    const port = await freePort();
    const stack = `healer${runId}`;
    // watch: all, so healer's own task container is a candidate too: it must recognise itself.
    const env = { ...process.env, DOCKER_HOST: HOST, HEALER_IMAGE: image, HEALER_DOCKER_SOCKET: SOCK, HEALER_LISTEN: `127.0.0.1:${listen}`, HEALER_DISCOVERY_WATCH: 'all' };
    await execFile('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', `${root}compose/stack.yml`, stack], { env, timeout: 60_000 });
    defer(async () => void (await execFile('docker', ['stack', 'rm', stack], { env, timeout: 60_000 }).catch(() => undefined)));
    const svc = await service(
      'neighbour',
      { 'healer.enable': 'true', 'healer.liveness': `http://:${port}/health`, 'healer.liveness.interval': '300ms', 'healer.liveness.failures': '2', 'healer.restart.timeout': '1s' },
      appCommand(port),
    );
    type Status = { containers: { name: string; state: string }[] };
    const status = async (): Promise<Status | undefined> => {
      const res = await fetch(`http://127.0.0.1:${listen}/api/status`).catch(() => undefined);
      return res?.ok ? ((await res.json()) as Status) : undefined;
    };
    const first = await waitFor('the neighbour healthy in healer\'s status', async () => {
      const c = (await tasks(svc)).find((t) => t.State === 'running');
      const s = await status();
      return c && s?.containers.some((x) => x.name === c.Names[0]?.slice(1) && x.state === 'healthy') ? c : undefined;
    }, 90_000);
    const self = (await tasks(`${stack}_healer`)).find((t) => t.State === 'running');
    expect(self).toBeDefined();
    expect((await status())?.containers.map((c) => c.name)).not.toContain(self?.Names[0]?.slice(1));
    await cli('exec', first.Id, 'rm', '/www/health');
    await waitFor('the failing neighbour removed', () => events.count('destroy', first.Id) === 1, 30_000);
    await waitFor('a new neighbour task running', async () => (await tasks(svc)).some((t) => t.State === 'running' && t.Id !== first.Id), 30_000);
    expect(events.count('restart')).toBe(0);
    const selfNow = (await tasks(`${stack}_healer`)).filter((t) => t.State === 'running');
    expect(selfNow.map((t) => t.Id)).toEqual([self?.Id]); // healer's own task untouched
    expect(events.count('kill', self?.Id) + events.count('destroy', self?.Id)).toBe(0);

    // Prometheus finds it with the shipped Swarm discovery config (pointed at this engine and this port,
    // and refreshed every second instead of every minute), and scrapes it with its node's name.
    const shipped = readFileSync(`${root}compose/prometheus/prometheus-swarm.yml`, 'utf8');
    const config = shipped
      .replace('scrape_interval: 15s', 'scrape_interval: 1s')
      .replace('host: unix:///var/run/docker.sock', `host: ${HOST}\n        refresh_interval: 1s`)
      .replace('port: 9299', `port: ${listen}`);
    expect(config).not.toBe(shipped);
    const prom = await startPrometheus({ config, files: [`${root}compose/prometheus/healer-rules.yml`] });
    defer(() => prom.stop());
    const node = (await cli('node', 'inspect', 'self', '--format', '{{.Description.Hostname}}')).trim();
    await waitFor('prometheus scraping healer through Swarm discovery', async () => {
      const r = await prom.query('up{job="healer"}');
      const found = (r.data?.result ?? []) as { metric: Record<string, string>; value: [number, string] }[];
      return found.length === 1 && found[0]?.value[1] === '1' && found[0].metric.node === node && found[0].metric.instance === `127.0.0.1:${listen}`;
    }, 30_000);
  }, 240_000);

  // The overlay shape: healer on an attachable overlay its neighbours join, its port published in
  // host mode, so each task's PortStatus carries it at its node's address and role `tasks` finds it.
  it('deployed from compose/stack-overlay.yml on an overlay, healer heals a neighbour on it and Prometheus finds it with role tasks', async () => {
    runId = newRunId();
    const events = await recordEvents();
    const image = await healerImage();
    const published = await freePort();
    const net = `monitoring-${runId}`;
    await cli('network', 'create', '-d', 'overlay', '--attachable', net);
    // Runs last (cleanups run in reverse): the network goes once the tasks on it are gone.
    defer(async () => void (await waitFor('the overlay network removed', async () => (await cli('network', 'rm', net).then(() => true, () => false)), 30_000).catch(() => undefined)));
    const stack = `healer${runId}`;
    const env = { ...process.env, DOCKER_HOST: HOST, HEALER_IMAGE: image, HEALER_DOCKER_SOCKET: SOCK, HEALER_PORT: String(published), HEALER_NETWORK: net, HEALER_DISCOVERY_WATCH: 'all' };
    // The shipped file with a longer restart delay, so the wait for healer's replacement below is long enough to see.
    const stackFile = join(mkdtempSync(join(tmpdir(), 'stack-overlay-')), 'stack-overlay.yml');
    const shippedStack = readFileSync(`${root}compose/stack-overlay.yml`, 'utf8');
    writeFileSync(stackFile, shippedStack.replace('delay: 5s', 'delay: 30s'));
    expect(readFileSync(stackFile, 'utf8')).not.toBe(shippedStack);
    await execFile('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', stackFile, stack], { env, timeout: 60_000 });
    defer(async () => void (await execFile('docker', ['stack', 'rm', stack], { env, timeout: 60_000 }).catch(() => undefined)));
    // The neighbour listens on every interface of its own network namespace: healer reaches it on the overlay.
    const svc = `neighbour-${runId}`;
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/health', 'healer.liveness.interval': '300ms', 'healer.liveness.failures': '2', 'healer.restart.timeout': '1s' };
    await cli('service', 'create', '-d', '--name', svc, '--network', net, '--no-resolve-image', '--stop-grace-period', '1s', '--restart-delay', '1s',
      ...Object.entries(labels).flatMap(([k, v]) => ['--container-label', `${k}=${v}`]),
      IMAGE, 'sh', '-c', 'mkdir -p /www; echo ok > /www/health; httpd -p 8080 -h /www; trap "exit 0" TERM; while true; do sleep 0.2; done');
    defer(async () => void (await cli('service', 'rm', svc).catch(() => '')));
    // An app on the host network is out of reach from the overlay: a configuration problem, never a failure.
    const hostPort = await freePort();
    const onHost = await service('onhost', { 'healer.enable': 'true', 'healer.liveness': `http://:${hostPort}/health`, 'healer.liveness.interval': '300ms', 'healer.liveness.failures': '1' }, appCommand(hostPort));
    type Status = { containers: { name: string; state: string }[] };
    // healer's status through the host-mode published port on the node's address (docker-proxy here).
    const status = async (): Promise<Status | undefined> => {
      const res = await fetch(`http://127.0.0.1:${published}/api/status`).catch(() => undefined);
      return res?.ok ? ((await res.json()) as Status) : undefined;
    };
    const first = await waitFor("the neighbour healthy in healer's status", async () => {
      const c = (await tasks(svc)).find((t) => t.State === 'running');
      const s = await status();
      return c && s?.containers.some((x) => x.name === c.Names[0]?.slice(1) && x.state === 'healthy') ? c : undefined;
    }, 90_000);
    const self = (await tasks(`${stack}_healer`)).find((t) => t.State === 'running');
    // Told by `healer check` where healer runs (the public /api/status shows names and states only).
    const hostTask = await waitFor('the host-network app running', async () => (await tasks(onHost)).find((t) => t.State === 'running'));
    const check = await cli('exec', self?.Id ?? '', 'node', '/app/dist/cli.js', 'check').catch((e: { stdout?: string }) => e.stdout ?? '');
    const block = check.split(/\n(?=\S)/).find((b) => b.startsWith(`WATCH   ${hostTask.Names[0]?.slice(1)}`));
    expect(block).toMatch(/\n {2}PROBLEM: {3}liveness probe cannot be routed: the container is on the host network, /);
    expect(Object.keys((await api.getContainer(self?.Id ?? '').inspect()).NetworkSettings.Networks)).toEqual([net]);
    expect((await status())?.containers.map((c) => c.name)).not.toContain(self?.Names[0]?.slice(1));
    await cli('exec', first.Id, 'rm', '/www/health');
    await waitFor('the failing neighbour removed', () => events.count('destroy', first.Id) === 1, 30_000);
    await waitFor('a new neighbour task running', async () => (await tasks(svc)).some((t) => t.State === 'running' && t.Id !== first.Id), 30_000);
    expect(events.count('restart')).toBe(0);
    expect((await tasks(`${stack}_healer`)).filter((t) => t.State === 'running').map((t) => t.Id)).toEqual([self?.Id]);
    expect(events.count('kill', self?.Id) + events.count('destroy', self?.Id)).toBe(0);
    expect(events.count('kill', hostTask.Id) + events.count('destroy', hostTask.Id)).toBe(0);

    // The shipped role-`tasks` config, pointed at this engine and refreshed every second: exactly one
    // target (the node's address and the published port: the task's PortStatus target and its overlay
    // address's target both rewritten to it, and kept once), up, with its node.
    const shipped = readFileSync(`${root}compose/prometheus/prometheus-swarm-overlay.yml`, 'utf8');
    const config = shipped.replace('scrape_interval: 15s', 'scrape_interval: 1s').replace('host: unix:///var/run/docker.sock', `host: ${HOST}\n        refresh_interval: 1s`);
    expect(config).toContain(`host: ${HOST}`);
    const prom = await startPrometheus({ config, files: [`${root}compose/prometheus/healer-rules.yml`] });
    defer(() => prom.stop());
    const node = await cli('node', 'inspect', 'self', '--format', '{{.Description.Hostname}}');
    await waitFor('prometheus scraping healer through role tasks', async () => {
      const r = await prom.query('up{job="healer"}');
      const found = (r.data?.result ?? []) as { metric: Record<string, string>; value: [number, string] }[];
      return found.length === 1 && found[0]?.value[1] === '1' && found[0].metric.node === node && found[0].metric.instance === `127.0.0.1:${published}`;
    }, 30_000);
    const targets = (await (await fetch(`${prom.url}/api/v1/targets`)).json()) as { data: { activeTargets: { scrapeUrl: string }[] } };
    expect(targets.data.activeTargets.map((t) => t.scrapeUrl)).toEqual([`http://127.0.0.1:${published}/metrics`]);

    // healer's container dies: while Swarm's replacement waits out the restart delay (desired state
    // ready, no PortStatus) the node keeps its target, down, and the shipped HealerDown names it.
    const healerDown = /- alert: HealerDown\n(?:.*\n)*?\s+expr: (.+)\n/.exec(readFileSync(`${root}compose/prometheus/healer-rules.yml`, 'utf8'))?.[1] ?? '';
    expect(healerDown).not.toBe('');
    await cli('kill', self?.Id ?? '');
    const named = async (): Promise<boolean> => {
      const pending = (await tasks(`${stack}_healer`)).every((t) => t.State !== 'running');
      const r = (await prom.query(healerDown)).data?.result as { metric: Record<string, string> }[] | undefined;
      return pending && (r ?? []).some((x) => x.metric.node === node && x.metric.instance === `127.0.0.1:${published}`);
    };
    await waitFor('HealerDown naming the node whose healer waits to start again', named, 20_000);
    // ... and still, many discovery refreshes and scrapes later, while the replacement waits: a target
    // that vanished with the container is named by the scrapes that failed before discovery dropped it
    // (3-4 s here), then no more: 8 s is twice that.
    await sleep(8_000);
    expect(await named()).toBe(true);
  }, 240_000);
});
