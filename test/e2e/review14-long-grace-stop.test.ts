import { describe, expect, it } from 'vitest';
import { engineSuite, newRunId, sleep } from '../helpers/engine.ts';
import { watchedDrainingApp } from '../helpers/draining-app.ts';

// Fourteenth adversarial review, on the real engine. Fails on the reviewed code.
//
// Trigger: an operator's `docker stop` (or `docker compose stop`) of a container given a long stop grace
// (`docker run --stop-timeout 90`, compose's `stop_grace_period: 90s`: what databases are given to
// checkpoint and shut down), whose app closes its listener at SIGTERM and takes longer than 60 s to exit.
// What happens: healer holds its decisions for STOP_SIGNAL_WINDOW_MS (60 s, src/watchdog/event-reader.ts)
// after the stop signal and then "takes them up again" (README: "If the container survives the signal,
// a held decision is taken up again when the 60 s are over"). The container has not survived anything:
// it is inside the grace the operator gave it, the engine's SIGKILL is still to come. Its probes have
// failed since the SIGTERM, so at 60 s healer restarts it in the middle of the operator's stop, and the
// container the operator stopped ends up running.
// What should happen: a stop under way lasts as long as the container's own stop grace
// (Config.StopTimeout, in inspect) when that is longer than 60 s; the container ends up stopped.
const suite = engineSuite();

describe('review14: docker stop of a container with a 90 s stop grace that drains for 75 s', () => {
  it('is not restarted by healer during its grace: it ends up stopped', async () => {
    const runId = newRunId();
    const { c, events } = await watchedDrainingApp(suite, runId, { name: `db-${runId}`, trap: 'TERM', drainS: 75, create: { StopTimeout: 90 } });
    const before = events.events.length;
    // The operator's `docker stop db` (no -t: the engine gives it the container's own 90 s). Not awaited
    // here: it returns when the app has exited.
    const stopped = c.stop().catch(() => undefined);
    await sleep(70_000); // past healer's 60 s window, still inside the app's 75 s drain
    const after = events.events.slice(before).map((e) => e.action);
    expect(after).not.toContain('restart');
    await stopped;
    await sleep(2000);
    expect((await c.inspect()).State.Running).toBe(false);
  }, 150_000);
});
