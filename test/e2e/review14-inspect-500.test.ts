import { describe, expect, it } from 'vitest';
import { refusingProxy } from '../helpers/refusing-proxy.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, engineSuite, execIn, fastLabels, newRunId, recordEvents, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';

// Fourteenth adversarial review, on the real engine. Fails on the reviewed code.
//
// Trigger: the engine answers one container's inspect with a 500 once (a busy or restarting daemon, a
// socket proxy's hiccup) at the moment healer first looks at it: here at healer's start-up listing.
// What happens: Discovery.look() (src/watchdog/discovery.ts) lets the EngineError go; inOrder() logs
// `container update failed` and nothing ever looks at the container again until the engine sends an
// event about it (its next start, a rename). A running, opted-in container is then not watched at all:
// its liveness probe never runs, it breaks, and healer neither restarts nor alerts. One transient error
// loses every later failure of that container, silently (not even a watch in the `error` state).
// What should happen: a container whose inspect failed is looked at again (with backoff), so it is
// watched once the engine answers, and its broken liveness is healed as any other's.
const suite = engineSuite();

describe('review14: one inspect answered with a 500 when healer first looks at a container', () => {
  it('does not leave the container unwatched: its broken liveness is still healed', async () => {
    const runId = newRunId();
    const proxy = await refusingProxy();
    suite.defer(() => proxy.close());
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    const id = await runContainer({ runId, name: 'app', labels: fastLabels(runId, `http://:${port}/health`), cmd: appCommand(port) });
    proxy.refuse(id, 1);
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host });
    suite.defer(() => h.stop());
    // It is watched once the engine answers again (every later inspect passes).
    await waitFor('the container watched', () => h.healer.watchdog.watches.get(id)?.state.liveness.up === true, 30_000);
    await execIn(id, ['rm', '/www/health']);
    await waitFor('healer restarts it', () => events.count(id, 'restart') >= 1, 30_000);
    expect(events.count(id, 'restart')).toBe(1);
  }, 90_000);
});
