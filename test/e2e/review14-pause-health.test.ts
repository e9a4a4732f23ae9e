import { describe, expect, it } from 'vitest';
import { engineSuite, newRunId, sleep } from '../helpers/engine.ts';
import { pausedUntilUnhealthy } from '../helpers/paused-health.ts';

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
    // The pause alone turns it unhealthy in the engine's eyes (its checks are refused while frozen).
    const { id, c, events } = await pausedUntilUnhealthy(suite, runId, ['CMD', 'true']);
    await c.unpause();
    await sleep(4000); // its next checks pass: healthy again within an interval
    expect((await c.inspect()).State.Health?.Status).toBe('healthy');
    expect(events.count(id, 'restart')).toBe(0);
    expect(events.count(id, 'kill')).toBe(0);
  }, 60_000);
});
