import { describe, expect, it } from 'vitest';
import { docker, engineSuite, isRunning, newRunId, sleep } from '../helpers/engine.ts';
import { watchedDrainingApp } from '../helpers/draining-app.ts';

// Fourteenth adversarial review, on the real engine. Fails on the reviewed code.
//
// Trigger: an operator's `docker stop` of a container whose image says `STOPSIGNAL SIGRTMIN+3` (every
// systemd-in-a-container image: systemd shuts down on SIGRTMIN+3) and which, like any app, closes its
// listener and drains before it exits.
// What happens: Docker's kill event carries the signal as a number (`signal: "37"`); healer compares it
// with the container's StopSignal through signalNumber() (src/watchdog/event-reader.ts), which looks
// names up in Node's os.constants.signals, where no real-time signal exists: `SIGRTMIN+3` → undefined,
// so 37 is taken for a reload-like signal, not the stop signal. The stop is not seen as under way, the
// drain's failing probes count, and healer restarts the container in the middle of the operator's stop:
// the container the operator stopped ends up running again.
// What should happen: a kill with the container's own StopSignal (whatever its spelling: `SIGRTMIN+3`,
// `RTMIN+3`, `37`) is a stop signal, as README "What healer does" says; decisions are held and the
// container ends up stopped.
const suite = engineSuite();

describe('review14: `docker stop` of a container whose StopSignal is SIGRTMIN+3', () => {
  it('is not restarted by healer while it drains: the container ends up stopped', async () => {
    const runId = newRunId();
    // On its stop signal (37 = SIGRTMIN+3 as Docker numbers it): the listener goes, 4 s of draining, exit 0.
    const { c, events } = await watchedDrainingApp(suite, runId, { name: `systemd-like-${runId}`, trap: '37', drainS: 4, create: { StopSignal: 'SIGRTMIN+3' } });
    const before = events.events.length;
    await docker.getContainer(c.id).stop({ t: 10 }); // the operator's `docker stop` (returns once it exited)
    await sleep(3000);
    const after = events.events.slice(before).map((e) => e.action);
    expect.soft(after).not.toContain('restart');
    expect(await isRunning(c.id)).toBe(false);
  }, 60_000);
});
