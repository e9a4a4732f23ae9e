import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, docker, engineSuite, execIn, fastLabels, newRunId, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';

// The event stream stays open but stops delivering (a half-open connection to a remote engine through a
// NAT that drops idle flows, a wedged event publisher, a proxy that timed the long request out without a
// word): the stream's silence alone proves nothing, but the container list shows a death and a new
// container no event told. healer must notice within the stall check's interval plus its grace, say so,
// and resynchronise, so the missed death is handled as usual.
const suite = engineSuite();

/** The stall check's interval in this test (watchdog.yml docker.stall_check; 60 s by default). */
const CHECK = '2s';
/**
 * What the README promises: a change no event told is acted on within the interval plus the grace
 * (10 s) plus one resync; the rest is margin for a loaded 2-core machine.
 */
const BOUND_MS = 2_000 + 10_000 + 12_000;

describe('a stalled event stream (open, silent)', () => {
  it('a missed death and a missed new container are found by the periodic list, named, counted, and handled', async () => {
    const runId = newRunId();
    const proxy = await startEngineProxy();
    suite.defer(() => proxy.close());
    // Exits with code 3 once told to: a crash healer starts again (restart.on_exit). No probe of its own,
    // so only the engine's `die` (or a list) can tell healer it is down.
    const crashy = await runContainer({
      runId,
      name: 'crashy',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.restart.timeout': '1s' },
      cmd: ['sh', '-c', 'while [ ! -f /tmp/die ]; do sleep 0.2; done; rm -f /tmp/die; exit 3'],
    });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host, HEALER_DOCKER_STALL_CHECK: CHECK });
    suite.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('crashy watched and running', () => wd.watches.get(crashy)?.state.lifecycle === 'running');
    const startedAt = (await docker.getContainer(crashy).inspect()).State.StartedAt;

    expect(proxy.stallEvents()).toBe(1);
    await execIn(crashy, ['touch', '/tmp/die']);
    const latePort = await freePort();
    const late = await runContainer({ runId, name: 'late', labels: fastLabels(runId, `http://:${latePort}/health`), cmd: appCommand(latePort) });
    const t0 = Date.now();

    await waitFor('the missed death handled: healer started crashy again', () => wd.watches.get(crashy)?.counts.restarts.exit === 1, BOUND_MS);
    await waitFor('the missed new container watched', () => wd.watches.has(late), BOUND_MS);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect((await docker.getContainer(crashy).inspect()).State.StartedAt).not.toBe(startedAt);

    const stalled = h.logs.filter((l) => l.msg.startsWith('docker event stream stalled'));
    expect(stalled.length).toBeGreaterThanOrEqual(1);
    const missed = JSON.stringify(stalled[0]?.missed);
    expect(missed).toMatch(/crashy|late/);
    expect(wd.eventStalls).toBeGreaterThanOrEqual(1);
    // The engine answered all along: a stall is not an outage (no docker_unreachable; /healthz stays ok).
    expect(wd.engineReachable).toBe(true);
    expect(h.logs.filter((l) => l.msg.startsWith('docker engine unreachable'))).toEqual([]);
  }, 90_000);
});
