import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { concurrentEngineSuite } from '../helpers/concurrent-suite.ts';
import { docker, execIn, newRunId, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Review 24 (stall check): the event stream stalls (open, silent) and a container under its own Docker
// restart policy (compose's `restart: unless-stopped` / `always`) starts crash-looping. The engine moves it
// straight from running to `restarting` (never `exited`), and back to running: the list shows `running` or
// `restarting`, and the audit reads `restarting` as "no verdict". So the stall is never found, healer
// never hears of a single die, counts none of the engine's restarts (README: "healer counts those
// restarts") and never opens the crash loop, for as long as the stream stays stalled.
// The two cases run at once, each with its own healer and container (their waits are the engine's
// backoff and the stall check's grace, real time either way).
const suite = concurrentEngineSuite();

const CHECK = '2s';
/** The README's promise for a change no event told: interval + 10 s grace + one resync, plus margin. */
const BOUND_MS = 2_000 + 10_000 + 12_000;

describe.concurrent('review24: a stalled stream while a restart-policy container crash-loops', () => {
  it('the crash loop the engine runs is found by the stall check (a death must not be missed for long)', async (t) => {
    const runId = newRunId();
    const test = suite.begin(t, runId);
    const proxy = await startEngineProxy();
    test.defer(() => proxy.close());
    // Waits until /tmp/die exists, then exits 3; the file stays in its filesystem, so every later run
    // (the engine's restart policy) exits at once: a crash loop the engine drives with its backoff.
    const looper = await runContainer({
      runId,
      name: 'looper',
      labels: { 'healer.enable': 'true', 'healer.scope': runId },
      cmd: ['sh', '-c', 'trap "exit 0" TERM; while [ ! -f /tmp/die ]; do sleep 0.2; done; exit 3'],
      restartPolicy: 'always',
    });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host, HEALER_DOCKER_STALL_CHECK: CHECK });
    test.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('looper watched and running', () => wd.watches.get(looper)?.state.lifecycle === 'running');
    // Let the first list seed the audit.
    await sleep(3_000);

    expect(proxy.stallEvents()).toBe(1);
    await execIn(looper, ['touch', '/tmp/die']);
    await waitFor('the engine restarted it at least 3 times', async () => (await docker.getContainer(looper).inspect()).RestartCount >= 3, 20_000);

    // What should happen: the stall is found and the resync counts the engine's restarts it missed.
    await waitFor('the stall found', () => wd.eventStalls >= 1, BOUND_MS);
    await waitFor('the missed restarts counted', () => (wd.status().containers.find((c) => c.id === looper)?.restartsInWindow ?? 0) >= 1, 15_000);
  }, 120_000);

  it('on a working stream the same crash loop is never taken for a stall (every die and start arrives)', async (t) => {
    const runId = newRunId();
    const test = suite.begin(t, runId);
    const looper = await runContainer({
      runId,
      name: 'looper',
      labels: { 'healer.enable': 'true', 'healer.scope': runId },
      cmd: ['sh', '-c', 'trap "exit 0" TERM; while [ ! -f /tmp/die ]; do sleep 0.2; done; exit 3'],
      restartPolicy: 'always',
    });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_DOCKER_STALL_CHECK: CHECK });
    test.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('looper watched and running', () => wd.watches.get(looper)?.state.lifecycle === 'running');
    await sleep(3_000);
    await execIn(looper, ['touch', '/tmp/die']);
    // Docker's backoff (0.1 s doubling) gives about 8 restarts in 25 s: lists every 2 s see it restarting
    // and running by turns, each time after or just before the die/start events that told it.
    await sleep(25_000);
    expect((await docker.getContainer(looper).inspect()).RestartCount).toBeGreaterThanOrEqual(3);
    expect(h.logs.filter((l) => l.msg.startsWith('docker event stream stalled')).map((l) => JSON.stringify(l.missed))).toEqual([]);
    expect(wd.eventStalls).toBe(0);
  }, 120_000);
});
