import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { steppedClock } from '../helpers/stepped-clock.ts';
import { docker, engineSuite, execIn, fastLabels, IMAGE, newRunId, recordEvents, sleep, startTestHealer, TEST_LABEL, waitFor } from '../helpers/engine.ts';

// Session 24, on the real engine. Fails on main before cf6d6e3.
//
// Trigger: a container run with `--stop-timeout -1` (StopTimeout < 0: `docker stop` waits for its exit for
// ever, the engine never kills it) whose app traps SIGTERM and runs on; the operator's `docker stop` is
// interrupted (Ctrl-C; here the CLI under `timeout 3`). Later the app breaks (its health file goes).
// What happened: the stop signal's window was Infinity (src/watchdog/stop-window.ts), so healer held the
// container's restarts for ever: it was never healed again until re-created, and nothing said so.
// What should happen: the container is seen passing its probe past the 60 s window after the signal: it
// survived it, the stop is over (logged), and its later failure is healed as any.
// The 60 s are not waited out: once healer has read the signal (and held a failure then, as the operator's
// stop), its wall clock is stepped past the window (helpers/stepped-clock.ts); the unit tests
// (test/unit/s24-endless-stop.test.ts) cover where the window ends.
const suite = engineSuite();

describe('s24: a stop signal with no end (--stop-timeout -1) that the container survives', () => {
  it('ends once the container is seen passing its probe after the window: a later failure is healed', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    const name = `endless-${runId}`;
    const cmd = ['sh', '-c', `mkdir -p /www; echo ok > /www/health; httpd -p 127.0.0.1:${port} -h /www; trap "echo ignoring TERM" TERM; while true; do sleep 0.2; done`];
    const c = await docker.createContainer({
      name,
      Image: IMAGE,
      Cmd: cmd,
      StopTimeout: -1,
      Labels: { [TEST_LABEL]: runId, ...fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '1s' }) },
      HostConfig: { NetworkMode: 'host' },
    });
    await c.start();
    const clock = steppedClock();
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId }, undefined, undefined, clock);
    suite.defer(() => h.stop());
    const watch = () => h.healer.watchdog.watches.get(c.id);
    await waitFor('first passing probe', () => watch()?.state.liveness.up === true);
    // The operator's `docker stop`, interrupted after 3 s: the engine sent SIGTERM, which the app survives.
    await new Promise<void>((resolve) => execFile('timeout', ['3', 'docker', 'stop', name], () => resolve()));
    const since = await waitFor('the endless stop seen', () => watch()?.events.endlessSince, 10_000);
    // Inside the window a failure is the operator's stop on its way: held (as before the fix).
    const startedAt = (await c.inspect()).State.StartedAt;
    await execIn(c.id, ['rm', '/www/health']);
    await waitFor('the failure seen', () => watch()?.state.liveness.up === false);
    await sleep(2_000);
    expect(events.events.map((e) => e.action)).not.toContain('restart');
    expect(h.logs.some((l) => l.msg.startsWith('the container survived its stop signal'))).toBe(false);
    await execIn(c.id, ['sh', '-c', 'echo ok > /www/health']);
    await waitFor('passing again', () => watch()?.state.liveness.up === true);
    // Past the 60 s window, passing its probe: the stop is over, said once.
    clock.step(61_000 - (clock.now() - since));
    await sleep(1_000); // a few passing probes past the window
    const before = events.events.length;
    await execIn(c.id, ['rm', '/www/health']); // the app breaks
    await waitFor('healer to restart it', () => events.events.slice(before).some((e) => e.action === 'restart'), 20_000);
    expect(h.logs.filter((l) => l.msg.startsWith('the container survived its stop signal'))).toHaveLength(1);
    expect((await c.inspect()).State.StartedAt).not.toBe(startedAt);
    await sleep(500);
    expect((await c.inspect()).State.Running).toBe(true);
  }, 60_000);
});
