import { execFile as execFileCb } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSocketProxy } from '../helpers/haproxy.ts';
import { engineEnv, newRunId, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// The address an empty probe host means, for a plain (non-service) container on a bridge network and
// on an attachable overlay whose name sorts first, with healer outside Docker: the overlay address is not
// reachable from the host's network namespace, so probing it would restart a healthy container again and
// again. An attachable overlay needs a swarm: the second engine of scripts/swarm-up.sh (own data root
// and socket, never the engine other tests use), torn down after the file, also when a test fails.
// Loopback rule: the bridge is on 198.18.1.0/24 (outside the private ranges, next to that engine's
// docker_gwbridge, masquerade and ICC off) and the overlay in the swarm's 198.19.0.0/16 pool; healer
// probes only the bridge address, on the host's own bridge, and never the overlay's.
const execFile = promisify(execFileCb);
const root = new URL('../../', import.meta.url).pathname;
const DIR = process.env.HEALER_SWARM_OVERLAY_DIR ?? '/tmp/healer-swarm-overlay';
const SOCK = `${DIR}/d.sock`;
const IMAGE = '127.0.0.1:5000/healer-test-busybox:latest';
const api = new Docker({ socketPath: SOCK });
// The built CLI (npm test builds before running tests), for `healer check`.
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const check = async (scope: string, host: string): Promise<{ code: number; stdout: string }> => {
  const env = { ...process.env, HEALER_CONFIG: '', DOCKER_HOST: host, HEALER_DISCOVERY_SCOPE: scope, HEALER_STATE_PATH: `${tmpdir()}/healer-overlay-check-${process.pid}.json` };
  return execFile(process.execPath, [cli, 'check', '--json'], { env, timeout: 30_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, stdout: err.stdout ?? '' }),
  );
};
type CheckJson = { containers: { container: string; verdict: { kind: string }; unroutable: string[] }[]; warnings?: string[] };
const down = (): Promise<unknown> => execFile(`${root}scripts/swarm-down.sh`, [DIR], { timeout: 120_000 }).catch(() => undefined);

let cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  try {
    await execFile(`${root}scripts/swarm-up.sh`, [DIR], { timeout: 120_000, env: engineEnv() });
    await api.ping();
  } catch (err) {
    await down();
    throw new Error(`this test needs dockerd and busybox-static (scripts/swarm-up.sh): ${(err as Error).message}`, { cause: err });
  }
}, 180_000);
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});
afterAll(down, 120_000);

/** An attachable overlay and a bridge (outside the private ranges), named so that the overlay sorts first. */
async function networks(runId: string): Promise<{ overlay: string; bridge: string }> {
  const overlay = `a-overlay-${runId}`;
  const bridge = `b-bridge-${runId}`;
  await api.createNetwork({ Name: overlay, Driver: 'overlay', Attachable: true });
  cleanups.push(() => api.getNetwork(overlay).remove());
  await api.createNetwork({
    Name: bridge,
    Driver: 'bridge',
    IPAM: { Config: [{ Subnet: '198.18.1.0/24', Gateway: '198.18.1.1' }] },
    Options: { 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
  });
  cleanups.push(() => api.getNetwork(bridge).remove());
  return { overlay, bridge };
}

/** A labelled busybox serving /health on every address of its own namespace, on `on` (the first is its network mode). */
async function app(runId: string, name: string, on: string[], scope = runId): Promise<Docker.Container> {
  const c = await api.createContainer({
    name: `${name}-${runId}`,
    Image: IMAGE,
    Cmd: ['sh', '-c', 'mkdir -p /www; echo ok > /www/health; exec httpd -f -v -p 8080 -h /www'],
    Labels: { 'healer.enable': 'true', 'healer.scope': scope, 'healer.liveness': 'http://:8080/health', 'healer.liveness.interval': '300ms', 'healer.liveness.timeout': '250ms', 'healer.liveness.failures': '2', 'healer.restart.timeout': '1s' },
    HostConfig: { NetworkMode: on[0] ?? 'none' },
  });
  cleanups.push(() => c.remove({ force: true }));
  for (const n of on.slice(1)) await api.getNetwork(n).connect({ Container: c.id });
  await c.start();
  return c;
}

/** healer in this process, outside Docker, watching this run's containers on the swarm's engine. */
async function healerOn(runId: string, host = `unix://${SOCK}`): Promise<Awaited<ReturnType<typeof startTestHealer>>> {
  const h = await startTestHealer({ DOCKER_HOST: host, HEALER_DISCOVERY_SCOPE: runId }, undefined, { ids: [], hostname: 'test' });
  cleanups.push(() => h.stop());
  return h;
}

describe('a container on a bridge and an attachable overlay, healer outside Docker', () => {
  it('is probed at its bridge address: it stays healthy, never restarted', async () => {
    const runId = newRunId();
    const { overlay, bridge } = await networks(runId);
    const c = await app(runId, 'both', [bridge, overlay]);
    const nets = (await c.inspect()).NetworkSettings.Networks;
    expect(nets[overlay]?.IPAddress).toMatch(/^198\.19\./);
    expect(nets[bridge]?.IPAddress).toMatch(/^198\.18\.1\./);
    const { healer, logs } = await healerOn(runId);
    await waitFor('first passing probe', () => healer.watchdog.watches.get(c.id)?.state.liveness.up === true);
    await sleep(2000); // several probe intervals
    const watch = healer.watchdog.watches.get(c.id);
    expect(watch?.counts.probes.liveness.failure).toBe(0);
    expect(watch?.counts.probes.liveness.success).toBeGreaterThanOrEqual(4);
    expect(logs.filter((l) => l.msg === 'restarting container')).toEqual([]);
    expect((await c.inspect()).RestartCount).toBe(0);
    // httpd -v logs each client: the probes came from the host's side of the bridge.
    const out = (await c.logs({ stdout: true, stderr: true })).toString('utf8');
    expect(out).toMatch(/198\.18\.1\.1/);
    expect(out).not.toMatch(/198\.19\./);
  });

  it('on the overlay alone, it is a configuration problem naming the network: nothing probed, never restarted', async () => {
    const runId = newRunId();
    const { overlay } = await networks(runId);
    const c = await app(runId, 'overlay-only', [overlay]);
    const { healer, logs } = await healerOn(runId);
    const said = await waitFor('the probe reported inconclusive', () => logs.find((l) => l.msg === 'probe inconclusive; not counted as a failure'));
    expect(said.error).toContain(`the container is only on networks healer on the host network or outside Docker cannot reach: "${overlay}" (driver overlay, scope swarm)`);
    const r = await check(runId, `unix://${SOCK}`);
    expect(r.code).toBe(1);
    const rows = (JSON.parse(r.stdout) as CheckJson).containers;
    expect(rows.map((x) => x.unroutable)).toEqual([[expect.stringContaining(`only on networks healer on the host network or outside Docker cannot reach: "${overlay}"`) as string]]);
    await sleep(1500);
    expect(healer.watchdog.watches.get(c.id)?.counts.probes.liveness.failure).toBe(0);
    expect(logs.filter((l) => l.msg === 'restarting container')).toEqual([]);
    expect((await c.inspect()).RestartCount).toBe(0);
  });

  // A socket proxy allowing what tecnativa's does with CONTAINERS, EVENTS, PING, VERSION, POST and
  // ALLOW_RESTARTS (a real HAProxy): GET /networks is refused. healer goes on with the choice it made
  // before it knew the drivers, and says so: once in its log, and in `healer check`.
  it('through a proxy refusing GET /networks: said once in the log and in healer check, healing goes on', async () => {
    const runId = newRunId();
    const { overlay, bridge } = await networks(runId);
    const proxy = await startSocketProxy({ allowRestart: true, socket: SOCK });
    cleanups.push(() => proxy.stop());
    // Only through `healer check`, which sends no probe: this one's first network by name is the overlay.
    await app(runId, 'both', [bridge, overlay], `${runId}-both`);
    const r = JSON.parse((await check(`${runId}-both`, proxy.host)).stdout) as CheckJson;
    expect(r.warnings).toEqual([expect.stringMatching(/^GET \/networks was refused \(a socket proxy must allow NETWORKS=1\)/) as string]);
    expect(r.containers.map((x) => [x.verdict.kind, x.unroutable])).toEqual([['watch', []]]);

    const c = await app(runId, 'bridge-only', [bridge]);
    const { healer, logs } = await healerOn(runId, proxy.host);
    await waitFor('first passing probe', () => healer.watchdog.watches.get(c.id)?.state.liveness.up === true);
    await sleep(1500);
    expect(logs.filter((l) => l.call === 'GET /networks').map((l) => [l.level, l.msg])).toEqual([[40, expect.stringMatching(/^GET \/networks was refused \(a socket proxy must allow NETWORKS=1\): healer cannot tell bridge from overlay/) as string]]);
    expect(healer.watchdog.watches.get(c.id)?.counts.probes.liveness.failure).toBe(0);
  });
});
