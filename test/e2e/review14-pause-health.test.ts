import { describe, expect, it } from 'vitest';
import { docker, engineSuite, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Fourteenth adversarial review, on the real engine. Fails on the reviewed code.
//
// Trigger: `docker pause` (a backup, `docker commit`) of a healthy container whose liveness is its own
// HEALTHCHECK, for longer than its interval × retries, then `docker unpause`.
// What happens: Docker keeps running the HEALTHCHECK while the container is paused; each exec is refused
// ("container is paused"), counts as a failed check, and the engine turns the container `unhealthy`
// during the pause, by the pause alone. At the unpause healer reads the health again on purpose
// (Discovery.health, src/watchdog/discovery.ts: "a verdict that stayed unhealthy through a pause would
// never come again"), finds that `unhealthy` and restarts the container at once, although its app never
// failed and its next check (one interval later) passes.
// What should happen (README, What healer does: "a paused container ... its probe results count for
// nothing (no failures carried over to the unpause)"): an `unhealthy` that Docker reached while the
// container was paused is the pause's, not the app's; healer waits for a check made after the unpause,
// and a healthy container is not restarted for having been paused.
const suite = engineSuite();

describe('review14: docker pause of a healthy HEALTHCHECK container, longer than interval × retries', () => {
  it('is not restarted at the unpause', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '1s' };
    const cmd = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];
    const id = await runContainer({ runId, name: 'backup', labels, cmd, healthcheck: { test: ['CMD', 'true'], intervalMs: 500, retries: 2 } });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const c = docker.getContainer(id);
    await waitFor('healthy', async () => (await c.inspect()).State.Health?.Status === 'healthy');
    await waitFor('watched', () => h.healer.watchdog.watches.has(id));
    await c.pause();
    // The pause alone turns it unhealthy in the engine's eyes (its checks are refused while frozen).
    await waitFor('unhealthy while paused', async () => (await c.inspect()).State.Health?.Status === 'unhealthy', 15_000);
    await c.unpause();
    await sleep(4000); // its next checks pass: healthy again within an interval
    expect((await c.inspect()).State.Health?.Status).toBe('healthy');
    expect(events.count(id, 'restart')).toBe(0);
    expect(events.count(id, 'kill')).toBe(0);
  }, 60_000);
});
