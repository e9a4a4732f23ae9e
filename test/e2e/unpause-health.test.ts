import { describe, expect, it } from 'vitest';
import { switchboard } from '../helpers/servers.ts';
import { docker, engineSuite, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// The other side of review 14's pause finding (review14-pause-health.test.ts): an `unhealthy` reached
// while paused waits for checks made since the unpause; when those fail too, the container is restarted,
// on the real engine's State.Health.Log (its times against the unpause event's).
const suite = engineSuite();

describe('docker pause of a HEALTHCHECK container whose checks still fail after the unpause', () => {
  it('is restarted once its checks made since the unpause failed `retries` times', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const sb = await switchboard();
    suite.defer(() => sb.close());
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '1s' };
    const cmd = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];
    const test = ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${sb.port}/app`];
    const id = await runContainer({ runId, name: 'backup', labels, cmd, healthcheck: { test, intervalMs: 500, retries: 2 } });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const c = docker.getContainer(id);
    await waitFor('healthy', async () => (await c.inspect()).State.Health?.Status === 'healthy');
    await waitFor('watched', () => h.healer.watchdog.watches.has(id));
    await c.pause();
    await waitFor('unhealthy while paused', async () => (await c.inspect()).State.Health?.Status === 'unhealthy', 15_000);
    sb.set('app', false); // what it depends on broke meanwhile: its checks after the unpause fail
    await c.unpause();
    await sleep(400);
    expect(events.count(id, 'restart')).toBe(0); // no check made since the unpause yet
    await waitFor('restarted by healer', () => events.count(id, 'restart') > 0, 15_000);
  }, 60_000);
});
