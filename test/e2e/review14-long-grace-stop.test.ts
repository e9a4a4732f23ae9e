import { describe, expect, it } from 'vitest';
import { watchedDrainingApp } from '../helpers/draining-app.ts';
import { engineSuite, newRunId, sleep, waitFor } from '../helpers/engine.ts';
import { steppedClock } from '../helpers/stepped-clock.ts';

// Fourteenth adversarial review, on the real engine. Fails on the reviewed code (without e3c828c).
//
// Trigger: an operator's `docker stop` (or `docker compose stop`) of a container given a long stop grace
// (`docker run --stop-timeout 90`, compose's `stop_grace_period: 90s`: what databases are given to
// checkpoint and shut down), whose app closes its listener at SIGTERM and takes longer than 60 s to exit.
// What happened: healer held its decisions for STOP_SIGNAL_WINDOW_MS (60 s, src/watchdog/stop-window.ts)
// after the stop signal and then "took them up again" (README: "If the container survives the signal,
// a held decision is taken up again when the 60 s are over"). The container has not survived anything:
// it is inside the grace the operator gave it, the engine's SIGKILL is still to come. Its probes have
// failed since the SIGTERM, so at 60 s healer restarted it in the middle of the operator's stop, and the
// container the operator stopped ended up running.
// What should happen: a stop under way lasts as long as the container's own stop grace
// (Config.StopTimeout, in inspect) when that is longer than 60 s; the container ends up stopped.
// The 60 s are not waited out: once healer has read the signal, its wall clock is stepped 65 s forward
// (helpers/stepped-clock.ts), so the app's real 8 s drain ends ~73 s after the signal on healer's clock,
// past the 60 s window and inside the 90 s grace (the review's drain was 75 s); the unit tests
// (test/unit/review14-long-grace.test.ts, stop-grace.test.ts) cover where the window ends.
const suite = engineSuite();

describe('review14: docker stop of a container with a 90 s stop grace that drains for 75 s', () => {
  it('is not restarted by healer during its grace: it ends up stopped', async () => {
    const runId = newRunId();
    const clock = steppedClock();
    const { c, events, h } = await watchedDrainingApp(suite, runId, { name: `db-${runId}`, trap: 'TERM', drainS: 8, create: { StopTimeout: 90 }, clock });
    const watch = () => h.healer.watchdog.watches.get(c.id);
    const before = events.events.length;
    // The operator's `docker stop db` (no -t: the engine gives it the container's own 90 s). Not awaited
    // here: it returns when the app has exited.
    const stopped = c.stop().catch(() => undefined);
    suite.defer(() => stopped);
    await waitFor('the stop signal read', () => watch()?.events.stopUntil, 10_000);
    clock.step(65_000); // past healer's 60 s window, still inside the app's drain and its 90 s grace
    await waitFor('its failing probes seen', () => watch()?.state.liveness.up === false, 10_000);
    await stopped;
    await sleep(2000);
    const after = events.events.slice(before).map((e) => e.action);
    expect(after).not.toContain('restart');
    expect(after).not.toContain('start');
    expect((await c.inspect()).State.Running).toBe(false);
  }, 60_000);
});
