import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { docker, engineSuite, IMAGE, newRunId, recordEvents, sleep, startTestHealer, TEST_LABEL, waitFor } from '../helpers/engine.ts';

// Review 24 (adversarial), on the real engine. Fails on s24-review-base.
//
// Trigger: a container run with `--stop-timeout -1` (the engine waits for its exit for ever) whose liveness
// is its HEALTHCHECK (interval 5 s, timeout 2 s, retries 3). The operator runs `docker stop` (interrupted
// after 3 s here, as the existing s24 test does: the engine has sent SIGTERM and keeps waiting). The app
// drains: it answers its check for 50 s while it finishes in-flight work, then fails it and goes on
// exiting (another 2 minutes here). Docker says `unhealthy` ~65 s after the signal.
// What happens: that `health: unhealthy` event is the first input past the 60 s floor, and
// src/watchdog/stop-survival.ts reads "passing" from the state before the input (still healthy): the stop
// is declared survived ("restarts resume") and the unhealthy verdict restarts the container in the middle
// of the operator's stop (a `restart` event; the container the operator is stopping runs again, afresh).
// What should happen: the container never passed a check 60 s or more after its signal (README: the stop
// holds until healer "sees it pass its liveness check at least 60 s after the signal"; the known limit is
// an app passing for MORE than 60 s): healer holds, and sends nothing.
const suite = engineSuite();

describe('review24: an endless stop whose HEALTHCHECK turns unhealthy just past the 60 s floor', () => {
  it('is not restarted by healer while it is still exiting', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const name = `endless-hc-${runId}`;
    const cmd = ['sh', '-c', 'touch /tmp/ok; trap "sleep 50; rm -f /tmp/ok; sleep 120; exit 0" TERM; while true; do sleep 0.2; done'];
    const c = await docker.createContainer({
      name,
      Image: IMAGE,
      Cmd: cmd,
      StopTimeout: -1,
      Healthcheck: { Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 5e9, Timeout: 2e9, Retries: 3 },
      Labels: { [TEST_LABEL]: runId, 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': 'docker', 'healer.restart.timeout': '1s' },
      HostConfig: { NetworkMode: 'host' },
    });
    await c.start();
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    await waitFor('healthy', () => h.healer.watchdog.watches.get(c.id)?.state.liveness.up === true, 20_000);
    const before = events.events.length;
    const startedAt = (await c.inspect()).State.StartedAt;
    // The operator's `docker stop`, interrupted after 3 s: SIGTERM sent, the app drains.
    await new Promise<void>((resolve) => execFile('timeout', ['3', 'docker', 'stop', name], () => resolve()));
    await sleep(85_000); // the check fails from ~50 s, unhealthy at ~65 s; still exiting at 85 s
    const after = events.events.slice(before).map((e) => e.action);
    expect.soft(h.logs.filter((l) => l.msg.startsWith('the container survived its stop signal')).map((l) => l.msg)).toEqual([]);
    expect(after).not.toContain('restart');
    expect((await c.inspect()).State.StartedAt).toBe(startedAt);
  }, 150_000);
});
