import { execFile as execFileCb } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, newRunId, sleep, startTestHealer, waitFor, type LogLine } from '../helpers/engine.ts';

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
const down = (): Promise<unknown> => execFile(`${root}scripts/swarm-down.sh`, [DIR], { timeout: 120_000 }).catch(() => undefined);

beforeAll(async () => {
  try {
    await execFile(`${root}scripts/swarm-up.sh`, [DIR], { timeout: 120_000 });
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
    expect(healer.watchdog.watches.get(first.Id)?.info.task).toMatchObject({ service: svc, slot: 1 });
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
    expect(loops[0]?.reason).toMatch(new RegExp(`^${svc}\\.1: \\d+ replacement tasks within 60s \\(limit 2\\); last exit codes 3(, 3)*; `));
    expect(loops[0]).toMatchObject({ exitCode: 3, container: { service: svc } });
    // Each task container started once, by Swarm; the exited ones are task history.
    const started = events.ids('start');
    expect(started.length).toBeGreaterThanOrEqual(4);
    for (const id of started) expect(events.count('start', id)).toBe(1);
    expect(events.count('restart')).toBe(0);
    expect(logged(logs, 'starting container')).toHaveLength(0);
    expect(logged(logs, 'service slot crash loop')).toHaveLength(1);
  });
});
