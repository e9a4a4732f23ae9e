import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/docker/engine.ts';
import { STOP_END_DELAY_MS } from '../../src/watchdog/stop-end.ts';
import { docker, engineEnv, engineSuite, IMAGE, newRunId, runContainer, sleep, startTestHealer, TEST_LABEL, waitFor, type LogLine } from '../helpers/engine.ts';

// Kills and stops on both engines, Docker 20.10 and Podman 4.3 (scripts/podman-up.sh), side by side:
// what one engine does and the other refuses, or tells in other events, must reach healer the same.
const execFile = promisify(execFileCb);
const SOCK = process.env.HEALER_PODMAN_SOCK ?? '/tmp/healer-podman/podman.sock';
const root = new URL('../../', import.meta.url).pathname;
const podmanApi = new Docker({ socketPath: SOCK });
const podman = async (...args: string[]): Promise<string> => (await execFile('podman', args, { timeout: 60_000 })).stdout.trim();

const suite = engineSuite(); // Docker's side: fails without the engine, removes test containers after each test

async function removePodman(): Promise<void> {
  const ids = (await podman('ps', '-aq', '--filter', `label=${TEST_LABEL}`)).split('\n').filter((s) => s !== '');
  if (ids.length > 0) await podman('rm', '-f', '-v', '-t', '0', ...ids).catch(() => undefined);
}

beforeAll(async () => {
  try {
    await execFile(`${root}scripts/podman-up.sh`, { timeout: 120_000, env: engineEnv() });
    await podmanApi.ping();
  } catch (err) {
    throw new Error(`these tests need podman and its service (scripts/podman-up.sh): ${(err as Error).message}`, { cause: err });
  }
  await removePodman();
}, 180_000);

const ENGINES = ['docker', 'podman'] as const;
type Kind = (typeof ENGINES)[number];
const api = (kind: Kind): Docker => (kind === 'docker' ? docker : podmanApi);

/** A busybox container on the host network of either engine; removed after the test. */
async function run(kind: Kind, runId: string, name: string, labels: Record<string, string>, script: string): Promise<string> {
  suite.defer(() => (kind === 'podman' ? removePodman() : undefined));
  if (kind === 'docker') return runContainer({ runId, name, labels, cmd: ['sh', '-c', script] });
  const l = Object.entries({ [TEST_LABEL]: runId, ...labels }).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return podman('run', '-d', '--name', `${name}-${runId}`, '--network', 'host', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096', ...l, IMAGE, 'sh', '-c', script);
}

const state = async (kind: Kind, id: string): Promise<{ Status: string; Running: boolean; Paused: boolean }> =>
  (await api(kind).getContainer(id).inspect()).State;
const logged = (logs: readonly LogLine[], msg: string): LogLine[] => logs.filter((l) => l.msg === msg);

describe.each(ENGINES)('%s', (kind) => {
  it('a stop of a container paused meanwhile stops it (Podman 4.3 itself refuses with HTTP 500 and leaves it paused)', async () => {
    const runId = newRunId();
    const id = await run(kind, runId, 'paused', {}, 'trap "exit 0" TERM; while true; do sleep 0.1; done');
    await api(kind).getContainer(id).pause();
    expect(await state(kind, id)).toMatchObject({ Paused: true });
    await new Engine(api(kind)).stop(id, 1000);
    expect(await state(kind, id)).toMatchObject({ Running: false, Paused: false, Status: 'exited' });
  });

  it('a plain kill through the engine is an operator stop: it stays stopped with on_exit, no died alert', async () => {
    const runId = newRunId();
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '400ms' };
    const id = await run(kind, runId, 'killed', labels, 'while true; do sleep 0.1; done');
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, ...(kind === 'podman' ? { DOCKER_HOST: `unix://${SOCK}` } : {}) }, undefined, { ids: [], hostname: 'test' });
    suite.defer(() => h.stop());
    await waitFor('watched', () => logged(h.logs, 'watching container').length === 1);
    if (kind === 'podman') await podman('kill', id);
    else await docker.getContainer(id).kill();
    await waitFor('the kill read', () => logged(h.logs, 'container stopped by an operator; it stays stopped').length === 1);
    await sleep(2500); // several backoffs: nothing starts it
    expect(await state(kind, id)).toMatchObject({ Running: false });
    expect(logged(h.logs, 'container died')).toHaveLength(0);
    expect(h.healer.watchdog.status().containers.find((c) => c.id === id)?.state).toBe('stopped');
  });

  it('a restart through the engine ends nothing (its stop is no stop that parks it); a stop ends the open alerts once it stayed stopped', async () => {
    // Review 15: `docker restart` / `podman restart` of a crash-looping container resolved its crashloop
    // alert at the restart's stop, and the next restart paged it again (stop-end.ts).
    const runId = newRunId();
    const labels = { 'healer.enable': 'true', 'healer.scope': runId };
    const id = await run(kind, runId, 'restarted', labels, 'trap "exit 0" TERM; while true; do sleep 0.1; done');
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, ...(kind === 'podman' ? { DOCKER_HOST: `unix://${SOCK}` } : {}) }, undefined, { ids: [], hostname: 'test' });
    suite.defer(() => h.stop());
    await waitFor('watched', () => logged(h.logs, 'watching container').length === 1);
    const ENDS = 'container stayed stopped after an operator stop: its open alerts end';
    if (kind === 'podman') await podman('restart', '-t', '1', id);
    else await docker.getContainer(id).restart({ t: 1 });
    await waitFor('the restart\'s stop read', () => logged(h.logs, 'container stopped by an operator; it stays stopped').length === 1);
    await sleep(STOP_END_DELAY_MS + 1500);
    expect(await state(kind, id)).toMatchObject({ Running: true });
    expect(logged(h.logs, ENDS)).toHaveLength(0);
    // Control: a stop it stays stopped after ends them.
    if (kind === 'podman') await podman('stop', '-t', '1', id);
    else await docker.getContainer(id).stop({ t: 1 });
    await waitFor('the stop\'s end', () => logged(h.logs, ENDS).length === 1);
  });

  it('a SIGKILL from outside the engine (kill -9 of its process) is a crash: died 137, started again with on_exit', async () => {
    const runId = newRunId();
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '400ms' };
    const id = await run(kind, runId, 'sigkilled', labels, 'while true; do sleep 0.1; done');
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, ...(kind === 'podman' ? { DOCKER_HOST: `unix://${SOCK}` } : {}) }, undefined, { ids: [], hostname: 'test' });
    suite.defer(() => h.stop());
    await waitFor('watched', () => logged(h.logs, 'watching container').length === 1);
    const { Pid: pid, StartedAt: before } = (await api(kind).getContainer(id).inspect()).State;
    process.kill(pid, 'SIGKILL');
    await waitFor('died', () => logged(h.logs, 'container died').length === 1);
    expect(logged(h.logs, 'container died')[0]).toMatchObject({ exitCode: 137 });
    await waitFor('started again', async () => (await api(kind).getContainer(id).inspect()).State.StartedAt !== before);
    expect(logged(h.logs, 'container stopped by an operator; it stays stopped')).toHaveLength(0);
  });
});
