import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { steppedClock } from '../helpers/stepped-clock.ts';
import { docker, engineSuite, IMAGE, newRunId, recordEvents, sleep, startTestHealer, TEST_LABEL, waitFor } from '../helpers/engine.ts';

// Review 24 (adversarial), on the real engine. Fails on s24-review-base (and without 2771ec1).
//
// Trigger: a container run with `--stop-timeout -1` (the engine waits for its exit for ever) whose liveness
// is its HEALTHCHECK (interval 2 s, timeout 2 s, retries 3). The operator runs `docker stop` (interrupted
// after 3 s here, as the s24 test does: the engine has sent SIGTERM and keeps waiting). The app drains: it
// answers its check while it finishes in-flight work, then fails it and goes on exiting. Docker says
// `unhealthy` ~65 s after the signal, on healer's clock.
// What happened: that `health: unhealthy` event is the first input past the 60 s floor, and
// src/watchdog/stop-survival.ts read "passing" from the state before the input (still healthy): the stop
// was declared survived ("restarts resume") and the unhealthy verdict restarted the container in the middle
// of the operator's stop (a `restart` event; the container the operator is stopping runs again, afresh).
// What should happen: the container never passed a check 60 s or more after its signal (README: the stop
// holds until healer "sees it pass its liveness check at least 60 s after the signal"): healer holds, says
// so, and sends nothing.
// The 60 s are not waited out: once healer has read the signal, its wall clock is stepped 55 s forward
// (helpers/stepped-clock.ts), so on its clock the app passes its check until ~59 s after the signal and is
// `unhealthy` at ~65 s, as in the review's 50 s drain; a stale `healthy` could prove a pass after the 60 s
// mark only from 60 + 3 × (2 + 2) + 10 = 82 s (the unit tests cover that rule and its bounds).
const suite = engineSuite();

/** How far healer's wall clock is stepped forward once it has read the stop signal. */
const STEP_MS = 55_000;

describe('review24: an endless stop whose HEALTHCHECK turns unhealthy just past the 60 s floor', () => {
  it('is not restarted by healer while it is still exiting', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const name = `endless-hc-${runId}`;
    const cmd = ['sh', '-c', 'touch /tmp/ok; trap "sleep 4; rm -f /tmp/ok; sleep 120; exit 0" TERM; while true; do sleep 0.2; done'];
    const c = await docker.createContainer({
      name,
      Image: IMAGE,
      Cmd: cmd,
      StopTimeout: -1,
      Healthcheck: { Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 2e9, Timeout: 2e9, Retries: 3 },
      Labels: { [TEST_LABEL]: runId, 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': 'docker', 'healer.restart.timeout': '1s' },
      HostConfig: { NetworkMode: 'host' },
    });
    await c.start();
    const clock = steppedClock();
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId }, undefined, undefined, clock);
    suite.defer(() => h.stop());
    const watch = () => h.healer.watchdog.watches.get(c.id);
    await waitFor('healthy', () => watch()?.state.liveness.up === true, 20_000);
    const before = events.events.length;
    const startedAt = (await c.inspect()).State.StartedAt;
    // The operator's `docker stop`, interrupted after 3 s: SIGTERM sent, the app drains.
    const stopped = new Promise<void>((resolve) => execFile('timeout', ['3', 'docker', 'stop', name], () => resolve()));
    suite.defer(() => stopped);
    // healer read the signal as a stop with no end (the engine's kill event, StopTimeout -1 from inspect).
    const since = await waitFor('the endless stop seen', () => watch()?.events.endlessSince, 10_000);
    clock.step(STEP_MS);
    await waitFor('unhealthy', () => watch()?.state.liveness.up === false, 30_000);
    const verdictAfterS = (clock.now() - since) / 1000;
    expect(verdictAfterS).toBeGreaterThan(60); // past the floor, so the survival rule is asked
    expect(verdictAfterS).toBeLessThan(82); // before a stale healthy could be read as a pass after the mark
    await sleep(3_000); // a restart healer decided would be sent by now
    const after = events.events.slice(before).map((e) => e.action);
    expect.soft(h.logs.filter((l) => l.msg.startsWith('the container survived its stop signal')).map((l) => l.msg)).toEqual([]);
    expect(after).not.toContain('restart');
    expect(after).not.toContain('start');
    expect((await c.inspect()).State.StartedAt).toBe(startedAt);
    // Held, and said once: the stop is still under way.
    expect(watch()?.events.endlessSince).toBe(since);
    expect(h.logs.filter((l) => l.msg.startsWith('stop signal sent and the container still runs, failing its check'))).toHaveLength(1);
  }, 90_000);
});
