import { describe, expect, it } from 'vitest';
import { switchboard } from '../helpers/servers.ts';
import { engineSuite, newRunId, sleep, waitFor } from '../helpers/engine.ts';
import { pausedUntilUnhealthy } from '../helpers/paused-health.ts';

// The other side of review 14's pause finding (review14-pause-health.test.ts): an `unhealthy` reached
// while paused waits for checks made since the unpause; when those fail too, the container is restarted,
// on the real engine's State.Health.Log (its times against the unpause event's).
const suite = engineSuite();

describe('docker pause of a HEALTHCHECK container whose checks still fail after the unpause', () => {
  it('is restarted once its checks made since the unpause failed `retries` times', async () => {
    const runId = newRunId();
    const sb = await switchboard();
    suite.defer(() => sb.close());
    const { id, c, events } = await pausedUntilUnhealthy(suite, runId, ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${sb.port}/app`]);
    sb.set('app', false); // what it depends on broke meanwhile: its checks after the unpause fail
    await c.unpause();
    await sleep(400);
    expect(events.count(id, 'restart')).toBe(0); // no check made since the unpause yet
    await waitFor('restarted by healer', () => events.count(id, 'restart') > 0, 15_000);
  }, 60_000);
});
