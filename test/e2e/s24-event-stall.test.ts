import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { freePort } from '../helpers/servers.ts';
import { concurrentEngineSuite } from '../helpers/concurrent-suite.ts';
import { appCommand, docker, execIn, fastLabels, newRunId, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// The event stream stays open but stops delivering (a half-open connection to a remote engine through a
// NAT that drops idle flows, a wedged event publisher, a proxy that timed the long request out without a
// word): the stream's silence alone proves nothing, but the container list shows a death and a new
// container no event told. healer must notice within the stall check's interval plus its grace, say so,
// and resynchronise, so the missed death is handled as usual.
// The Docker and the Podman case run at once, each with its own proxy, healer and containers (their waits
// are the stall check's grace, real time either way).
const suite = concurrentEngineSuite();

/** The stall check's interval in this test (watchdog.yml docker.stall_check; 60 s by default). */
const CHECK = '2s';
/**
 * What the README promises: a change no event told is acted on within the interval plus the grace
 * (10 s) plus one resync; the rest is margin for a loaded 2-core machine.
 */
const BOUND_MS = 2_000 + 10_000 + 12_000;

describe.concurrent('a stalled event stream (open, silent)', () => {
  it('a working stream is never taken for a stalled one; a missed death and a missed new container are found by the periodic list, named, counted, and handled', async (t) => {
    const runId = newRunId();
    const test = suite.begin(t, runId);
    const proxy = await startEngineProxy();
    test.defer(() => proxy.close());
    // Exits with code 3 once told to: a crash healer starts again (restart.on_exit). No probe of its own,
    // so only the engine's `die` (or a list) can tell healer it is down.
    const crashy = await runContainer({
      runId,
      name: 'crashy',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.restart.timeout': '1s' },
      cmd: ['sh', '-c', 'while [ ! -f /tmp/die ]; do sleep 0.2; done; rm -f /tmp/die; exit 3'],
    });
    // Turns unhealthy once /tmp/sick exists: a health_status the stream tells, and the list shows too.
    const sick = await runContainer({
      runId,
      name: 'sick',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.action': 'notify' },
      cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'],
      healthcheck: { test: ['CMD-SHELL', '[ ! -f /tmp/sick ]'], intervalMs: 500, retries: 1 },
    });
    const quiet = await runContainer({ runId, name: 'quiet', labels: { 'healer.enable': 'true', 'healer.scope': runId }, cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host, HEALER_DOCKER_STALL_CHECK: CHECK });
    test.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('crashy watched and running', () => wd.watches.get(crashy)?.state.lifecycle === 'running');
    await waitFor('sick healthy', () => wd.watches.get(sick)?.state.liveness.up === true);
    // Every connection to a tcp:// engine, the event stream's among them, has TCP keep-alive on (Node's
    // HTTP agent: first probe after 1 s idle), so a NAT sees traffic and a gone peer is found by the kernel.
    const port = proxy.host.split(':').pop() ?? '';
    const { stdout: conns } = await promisify(execFileCb)('ss', ['-tnoH', 'state', 'established', `( dport = :${port} )`]);
    const lines = conns.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const l of lines) expect(l).toMatch(/timer:\(keepalive,/);

    // A stream that works: a crash, an operator stop and a health change go by events, and the list
    // agrees with them: never a stall.
    await execIn(crashy, ['touch', '/tmp/die']);
    await docker.getContainer(quiet).stop({ t: 2 });
    await execIn(sick, ['touch', '/tmp/sick']);
    await waitFor('the crash handled by its event', () => wd.watches.get(crashy)?.counts.restarts.exit === 1);
    await waitFor('the stop seen', () => wd.watches.get(quiet)?.state.lifecycle === 'stopped');
    await waitFor('the health change seen', () => wd.watches.get(sick)?.state.liveness.up === false);
    await sleep(2_000 + 10_000 + 3_000);
    expect(h.logs.filter((l) => l.msg.startsWith('docker event stream stalled'))).toEqual([]);
    expect(wd.eventStalls).toBe(0);
    await waitFor('crashy running again', () => wd.watches.get(crashy)?.state.lifecycle === 'running');
    const startedAt = (await docker.getContainer(crashy).inspect()).State.StartedAt;

    expect(proxy.stallEvents()).toBe(1);
    await execIn(crashy, ['touch', '/tmp/die']);
    const latePort = await freePort();
    const late = await runContainer({ runId, name: 'late', labels: fastLabels(runId, `http://:${latePort}/health`), cmd: appCommand(latePort) });
    const t0 = Date.now();

    await waitFor('the missed death handled: healer started crashy again', () => wd.watches.get(crashy)?.counts.restarts.exit === 2, BOUND_MS);
    await waitFor('the missed new container watched', () => wd.watches.has(late), BOUND_MS);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect((await docker.getContainer(crashy).inspect()).State.StartedAt).not.toBe(startedAt);

    const stalled = h.logs.filter((l) => l.msg.startsWith('docker event stream stalled'));
    expect(stalled.length).toBeGreaterThanOrEqual(1);
    const missed = JSON.stringify(stalled[0]?.missed);
    expect(missed).toMatch(/crashy|late/);
    expect(missed).not.toMatch(/sick|quiet/);
    expect(wd.eventStalls).toBeGreaterThanOrEqual(1);
    // The engine answered all along: a stall is not an outage (no docker_unreachable; /healthz stays ok).
    expect(wd.engineReachable).toBe(true);
    expect(h.logs.filter((l) => l.msg.startsWith('docker engine unreachable'))).toEqual([]);
  }, 120_000);

  it('on Podman: a healthy stream is never taken for a stalled one (its held dies, stops, crashes), and a stalled one is found', async (t) => {
    const execFile = promisify(execFileCb);
    const podman = async (...args: string[]): Promise<string> => (await execFile('podman', args, { timeout: 60_000 })).stdout.trim();
    const sock = process.env.HEALER_PODMAN_SOCK ?? '/tmp/healer-podman/podman.sock';
    const runId = newRunId();
    const test = suite.begin(t, runId);
    const label = `healer-test-s24=${runId}`;
    test.defer(async () => {
      const ids = (await podman('ps', '-aq', '--filter', `label=${label}`)).split('\n').filter((x) => x !== '');
      if (ids.length > 0) await podman('rm', '-f', '-t', '0', ...ids).catch(() => undefined);
    });
    const run = (name: string, labels: Record<string, string>, cmd: string[]): Promise<string> =>
      podman('run', '-d', '--name', `${name}-${runId}`, '--network', 'host', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096',
        ...Object.entries({ 'healer-test-s24': runId, 'healer.enable': 'true', 'healer.scope': runId, ...labels }).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        'healer-test-busybox:latest', ...cmd);
    const crashCmd = ['sh', '-c', 'while [ ! -f /tmp/die ]; do sleep 0.2; done; rm -f /tmp/die; exit 3'];
    const proxy = await startEngineProxy(sock);
    test.defer(() => proxy.close());
    const crashy = await run('crashy', { 'healer.restart.on_exit': 'true', 'healer.restart.timeout': '1s' }, crashCmd);
    const quiet = await run('quiet', {}, ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done']);
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host, HEALER_DOCKER_STALL_CHECK: CHECK }, undefined, { ids: [], hostname: 'test' });
    test.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('both watched and running', () => wd.watches.get(crashy)?.state.lifecycle === 'running' && wd.watches.get(quiet)?.state.lifecycle === 'running');

    // A stream that works: a crash (its die held until its cleanup tells it from a stop) and an operator
    // stop (two cleanups) go by events, and the list agrees with them: never a stall.
    await podman('exec', crashy, 'touch', '/tmp/die');
    await podman('stop', '-t', '2', quiet);
    await waitFor('the crash handled by its event', () => wd.watches.get(crashy)?.counts.restarts.exit === 1, 30_000);
    await waitFor('the stop seen', () => wd.watches.get(quiet)?.state.lifecycle === 'stopped');
    await sleep(2_000 + 10_000 + 3_000);
    expect(h.logs.filter((l) => l.msg.startsWith('docker event stream stalled'))).toEqual([]);
    expect(wd.eventStalls).toBe(0);

    expect(proxy.stallEvents()).toBe(1);
    await waitFor('crashy running again', () => wd.watches.get(crashy)?.state.lifecycle === 'running');
    await podman('exec', crashy, 'touch', '/tmp/die');
    const late = await run('late', {}, ['sh', '-c', 'while true; do sleep 0.2; done']);
    await waitFor('the missed death handled', () => wd.watches.get(crashy)?.counts.restarts.exit === 2, BOUND_MS);
    await waitFor('the missed new container watched', () => wd.watches.has(late), BOUND_MS);
    expect(wd.eventStalls).toBeGreaterThanOrEqual(1);
    expect(wd.engineReachable).toBe(true);
  }, 120_000);
});
