import { execFile as execFileCb } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ProbePolicy } from '../../src/config/policy.ts';
import { Engine } from '../../src/docker/engine.ts';
import { execProber } from '../../src/probes/exec.ts';
import type { ProbeResult } from '../../src/probes/types.ts';
import { probeOnce } from '../../src/watchdog/probe-once.ts';
import { engineEnv, engineSuite, newRunId, runContainer, sleep } from '../helpers/engine.ts';

// Exec probes on the real Docker engine and the real Podman service (session of 2026-11-24, third).
//
// Trigger 1: an exec probe whose command outlives its timeout (a check hung on its database). Neither
// engine kills an exec'd process when the client gives up, so every later probe started another: the
// hung commands piled up in the container, one per interval, until it ran out of processes or memory.
// What should happen: while the command an earlier probe started still runs, the probe fails (as the
// timeout did) without starting another.
//
// Trigger 2: an engine slow to start the exec (under load; here a proxy holding the start request).
// The timeout expired before the engine had started the command, and the probe read as the command timing
// out: a failure of a healthy container, and after `failures` of them a restart. What should happen:
// the engine is asked at the timeout, and a command it had not started yet is `probe could not run`.
const suite = engineSuite();
const execFile = promisify(execFileCb);
const PODMAN_SOCK = '/tmp/healer-podman/podman.sock';
const PODMAN_LABEL = 'healer-test-s24exec';
const root = new URL('../../', import.meta.url).pathname;
const TIMEOUT = 500;

function policy(command: string): ProbePolicy {
  const labels = { 'healer.enable': 'true', 'healer.liveness': `exec:${command}`, 'healer.liveness.timeout': `${TIMEOUT}ms` };
  const r = policyFromLabels({ labels, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
  if (!r.ok || !r.policy.liveness) throw new Error(r.ok ? 'no liveness' : r.errors.join('; '));
  return r.policy.liveness;
}

async function probe(engine: Engine, id: string, command: string): Promise<ProbeResult> {
  return (await probeOnce(policy(command), execProber(engine), () => ({ ok: true, target: { containerId: id, address: '127.0.0.1' } }), {})).result;
}

/**
 * How many processes in the container run exactly `cmd` (the engine's `top`: Docker gives columns,
 * Podman one line of the container's own `ps` per process, the command last in both).
 */
async function count(api: Docker, id: string, cmd: string): Promise<number> {
  const top = (await api.getContainer(id).top()) as { Processes: string[][] };
  return top.Processes.filter((p) => ` ${p.join(' ').trim()}`.endsWith(` ${cmd}`)).length;
}

/** A byte proxy to an engine socket that holds every exec start request for `delayMs` before passing it on. */
async function slowStartProxy(socket: string, delayMs: number): Promise<{ docker: Docker; close(): Promise<void> }> {
  const all = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(socket);
    all.add(client).add(upstream);
    const drop = (): void => void (client.destroy(), upstream.destroy());
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      const start = /^POST (\/v[\d.]+)?\/exec\/[^/ ]+\/start/m.test(chunk.toString('latin1', 0, Math.min(chunk.length, 512)));
      chain = chain.then(() => (start ? sleep(delayMs) : undefined)).then(() => void upstream.write(chunk));
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    docker: new Docker({ host: '127.0.0.1', port }),
    close: () => new Promise<void>((resolve) => (all.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

interface Bed {
  readonly name: string;
  readonly socket: string;
  readonly api: Docker;
  container(runId: string): Promise<string>;
}

const podman = async (...args: string[]): Promise<string> => (await execFile('podman', args, { timeout: 60_000 })).stdout.trim();
async function removePodmanContainers(): Promise<void> {
  const ids = (await podman('ps', '-aq', '--filter', `label=${PODMAN_LABEL}`)).split('\n').filter((s) => s !== '');
  if (ids.length > 0) await podman('rm', '-f', '-v', '-t', '0', ...ids).catch(() => undefined);
}

const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];
const beds: Bed[] = [
  {
    name: 'Docker',
    socket: '/var/run/docker.sock',
    api: new Docker({ socketPath: '/var/run/docker.sock' }),
    container: (runId) => runContainer({ runId, name: 'execprobe', cmd: IDLE }),
  },
  {
    name: 'Podman',
    socket: PODMAN_SOCK,
    api: new Docker({ socketPath: PODMAN_SOCK }),
    container: (runId) =>
      podman('run', '-d', '--name', `execprobe-${runId}`, '--network', 'host', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096', '--label', `${PODMAN_LABEL}=${runId}`, 'healer-test-busybox:latest', ...IDLE),
  },
];

beforeAll(async () => {
  await execFile(`${root}scripts/podman-up.sh`, { timeout: 120_000, env: engineEnv() });
  await removePodmanContainers();
}, 180_000);
afterAll(removePodmanContainers);

describe.each(beds)('exec probes on $name', (bed) => {
  it('a command outliving its timeout is not started again while it runs: one hung process, not one per probe', async () => {
    const id = await bed.container(newRunId());
    suite.defer(removePodmanContainers);
    const engine = new Engine(bed.api);
    const first = await probe(engine, id, 'sleep 30');
    expect(first).toMatchObject({ ok: false, error: `timed out after ${TIMEOUT}ms` });
    expect(first.inconclusive).toBeUndefined();
    const later: ProbeResult[] = [];
    for (let i = 0; i < 3; i++) later.push(await probe(engine, id, 'sleep 30'));
    // Before the fix: four `sleep 30` in the container, one per probe.
    expect(await count(bed.api, id, 'sleep 30')).toBe(1);
    for (const again of later) {
      expect(again).toMatchObject({ ok: false, error: expect.stringMatching(/^the command of an earlier probe is still running \(exec [0-9a-f]{12}\)$/) as unknown });
      expect(again.inconclusive).toBeUndefined();
    }
    // Another command of the same container is not held up by it.
    expect(await probe(engine, id, 'true')).toMatchObject({ ok: true });
  }, 30_000);

  it('a command that ended is run again at the next probe', async () => {
    const id = await bed.container(newRunId());
    suite.defer(removePodmanContainers);
    const engine = new Engine(bed.api);
    // The first run sleeps past the timeout; once it has ended, the same command runs again (and is quick).
    const command = 'sh -c "test -f /tmp/ran || { touch /tmp/ran; sleep 1; }"';
    expect(await probe(engine, id, command)).toMatchObject({ ok: false, error: `timed out after ${TIMEOUT}ms` });
    await sleep(1_500);
    expect(await probe(engine, id, command)).toMatchObject({ ok: true });
    expect(await probe(engine, id, 'sh -c "exit 3"')).toMatchObject({ ok: false, status: 3, error: 'exit code 3' });
  }, 30_000);

  it('an engine slow to start the exec is `probe could not run`, not the command timing out', async () => {
    const id = await bed.container(newRunId());
    suite.defer(removePodmanContainers);
    const proxy = await slowStartProxy(bed.socket, 3 * TIMEOUT);
    suite.defer(() => proxy.close());
    const engine = new Engine(proxy.docker);
    const r = await probe(engine, id, 'true');
    expect(r).toMatchObject({ ok: false, inconclusive: true, error: `could not run the probe: the engine had not started the command within ${TIMEOUT}ms` });
    // A start the engine got within the timeout is no failure either (the command itself is quick).
    const quicker = await slowStartProxy(bed.socket, TIMEOUT / 5);
    suite.defer(() => quicker.close());
    await sleep(3 * TIMEOUT);
    expect(await probe(new Engine(quicker.docker), id, 'true')).toMatchObject({ ok: true });
  }, 30_000);
});
