import { describe, expect, it } from 'vitest';
import { engineSuite, isRunning, newRunId, sleep, waitFor } from '../helpers/engine.ts';
import { watchedDrainingApp } from '../helpers/draining-app.ts';

// Session 24, on the real engine. Fails on main.
//
// Trigger: an operator stops a container with SIGINT (`docker kill -s INT`, Ctrl-C style; Docker 23+'s
// `docker stop --signal SIGINT` sends the same kill event, signal "2", before its die and stop), and the
// app, like any, closes its listener and drains before it exits.
// What happened: only SIGKILL, SIGTERM and the container's StopSignal were read as a stop signal
// (src/watchdog/event-reader.ts), so the drain's failing probes counted and healer restarted the container
// in the middle of the operator's stop: the container the operator stopped ended up running again.
// What should happen: SIGINT and SIGQUIT end a process as SIGTERM does (src/docker/signals.ts
// isStopSignal): decisions are held while the container drains, and it ends up stopped.
const suite = engineSuite();

describe('s24: docker kill -s INT of an app that drains before it exits', () => {
  it('is not restarted by healer while it drains: the container ends up stopped', async () => {
    const runId = newRunId();
    const { c, events } = await watchedDrainingApp(suite, runId, { name: `int-stop-${runId}`, trap: 'INT', drainS: 5 });
    const before = events.events.length;
    await c.kill({ signal: 'SIGINT' }); // the operator's signal; the app drains 5 s, then exits 0
    await waitFor('the app to exit', async () => !(await isRunning(c.id)), 15_000);
    await sleep(2000);
    const after = events.events.slice(before).map((e) => e.action);
    expect.soft(after).not.toContain('restart');
    expect(after).not.toContain('start');
    expect(await isRunning(c.id)).toBe(false);
  }, 60_000);
});
