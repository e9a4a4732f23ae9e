import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import { taskStanding, toTaskStanding } from '../../src/docker/services.ts';
import { startedAgain } from '../../src/watchdog/orphan-scan.ts';

// Recorded `GET /tasks/{id}` answers of a single-node Swarm manager (Engine 20.10): a task running; the
// old task of `docker service update --force` 1.5 s in, its container draining through a 5 s stop grace;
// and a task whose container was restarted with `docker restart` (Swarm failed it; the container runs on).
type Task = Parameters<typeof toTaskStanding>[0] & { ID: string; Status: { ContainerStatus: { ContainerID: string } } };
const recorded = (name: string): Task => JSON.parse(readFileSync(new URL(`../fixtures/tasks/swarm-task-${name}.json`, import.meta.url), 'utf8')) as Task;

describe("a task container's standing with its orchestrator", () => {
  it('a running task is current', () => {
    const t = recorded('running');
    expect(toTaskStanding(t, t.Status.ContainerStatus.ContainerID)).toEqual({ kind: 'current' });
  });

  it("an update's old task still draining (desired state shutdown, state running) is current: Swarm is stopping it, not an orphan", () => {
    const t = recorded('draining');
    expect(t.DesiredState).toBe('shutdown');
    expect(toTaskStanding(t, t.Status.ContainerStatus.ContainerID)).toEqual({ kind: 'current' });
  });

  it('a task Swarm failed while its container runs on has ended: the container is an orphan', () => {
    const t = recorded('orphaned');
    expect(toTaskStanding(t, t.Status.ContainerStatus.ContainerID)).toEqual({ kind: 'ended', why: 'its task is failed (desired state shutdown)' });
  });

  it('a task that runs another container has ended for this one', () => {
    expect(toTaskStanding(recorded('running'), 'f'.repeat(64))).toEqual({ kind: 'ended', why: 'its task runs another container' });
  });
});

describe('asking the engine (a local HTTP server answering as the Engine API does)', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function engine(status: number, body: unknown): Promise<{ docker: Docker; paths: string[] }> {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    return { docker: new Docker({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http' }), paths };
  }

  it('reads the task from GET /tasks/{id}', async () => {
    const t = recorded('orphaned');
    const { docker, paths } = await engine(200, t);
    expect(await taskStanding(docker, t.ID, t.Status.ContainerStatus.ContainerID)).toMatchObject({ kind: 'ended' });
    expect(paths).toEqual([`/tasks/${t.ID}`]);
  });

  it.each([
    [404, { message: 'task x not found' }, { kind: 'ended', why: 'its task no longer exists' }],
    // What Engine 20.10 answers on a worker, or outside a swarm (measured on this project's engine).
    [503, { message: 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' }, { kind: 'unknown', why: 'this engine is not a Swarm manager', lasting: true }],
    [403, { message: 'Forbidden' }, { kind: 'unknown', why: 'GET /tasks/{id} was refused (a socket proxy must allow TASKS=1)', lasting: true }],
  ])('HTTP %i', async (status, body, standing) => {
    const { docker } = await engine(status, body);
    expect(await taskStanding(docker, 'x', 'c')).toEqual(standing);
  });

  it('another failure is unknown for now, not lasting', async () => {
    const { docker } = await engine(500, { message: 'rpc error' });
    expect(await taskStanding(docker, 'x', 'c')).toMatchObject({ kind: 'unknown', lasting: false });
  });
});

describe('a task container started again after it had ended', () => {
  // Recorded `docker inspect` of a task container (Engine 20.10): FinishedAt is 0001-01-01 until it first
  // ends; `docker restart` sets it and starts it again (measured: Swarm itself never does, even after
  // its engine restarts: it makes new containers).
  const raw = JSON.parse(readFileSync(new URL('../fixtures/inspect/swarm-task.json', import.meta.url), 'utf8')) as Docker.ContainerInspectInfo;
  const info = (state: Partial<Docker.ContainerInspectInfo['State']>) => toContainerInfo({ ...raw, State: { ...raw.State, ...state } });

  it('is one only while it runs after an end', () => {
    expect(raw.State.FinishedAt).toBe('0001-01-01T00:00:00Z');
    expect(startedAgain(info({}))).toBe(false);
    expect(startedAgain(info({ Running: true, StartedAt: '2026-11-23T19:36:18.761231599Z', FinishedAt: '2026-11-23T19:36:18.693570371Z' }))).toBe(true);
    expect(startedAgain(info({ Running: false, FinishedAt: '2026-11-23T19:36:18.693570371Z' }))).toBe(false);
  });

  it('a plain container is never one', () => {
    const plain = toContainerInfo({ ...raw, Config: { ...raw.Config, Labels: {} }, State: { ...raw.State, FinishedAt: '2026-11-23T19:36:18.693570371Z' } });
    expect(startedAgain(plain)).toBe(false);
  });
});
