import { describe, expect, it } from 'vitest';
import { docker, engineSuite, IMAGE, newRunId, recordEvents, sleep, startTestHealer, TEST_LABEL, waitFor } from '../helpers/engine.ts';

// Eleventh adversarial review, on the real engine. Fails on the reviewed code.
//
// healer.restart.on_exit: "Also start the container when it exits with a non-zero code ... Clean exits
// and operator stops are left alone, and so are containers whose own Docker restart policy brings them
// back (healer counts those restarts)" (README). healer reads only the policy's name
// (inspect.ts: `restartPolicy: i.HostConfig?.RestartPolicy?.Name || 'no'`; container-watch.ts:
// `engineRestarts: info.restartPolicy !== 'no'`), so `on-failure:N` counts as "the engine brings it
// back" for ever. After N attempts the engine gives up and leaves the container exited: healer, asked to
// start it on a crash, never does (action-policy.ts startsAfterExit: `!rules.engineRestarts`), and does
// not even count it as failing for the breaker. Trigger: `restart: on-failure:3` in compose (a common
// way to bound a crash loop) together with `healer.restart.on_exit: "true"`.

const suite = engineSuite();

describe('review11: on_exit with an on-failure:N restart policy the engine has given up on', () => {
  it('starts the container again once the engine stopped bringing it back', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const c = await docker.createContainer({
      name: `onfailure-${runId}`,
      Image: IMAGE,
      Cmd: ['sh', '-c', 'sleep 0.3; exit 3'],
      Labels: {
        [TEST_LABEL]: runId,
        'healer.enable': 'true',
        'healer.scope': runId,
        'healer.restart.on_exit': 'true',
        'healer.backoff.initial': '400ms',
      },
      HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } },
    });
    await c.start();
    // Its own start and the engine's one retry; then the engine leaves it exited.
    await waitFor('the engine gave up', async () => {
      const i = await c.inspect();
      return !i.State.Running && !i.State.Restarting && events.count(c.id, 'start') >= 2 ? true : undefined;
    });
    const engineStarts = events.count(c.id, 'start');
    expect(engineStarts).toBe(2);
    await sleep(5_000); // well past healer's backoff (400 ms, doubling)
    expect(events.count(c.id, 'start'), 'starts after the engine gave up (healer on_exit)').toBeGreaterThan(engineStarts);
  });
});
