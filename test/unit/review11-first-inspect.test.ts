import { describe, expect, it } from 'vitest';
import { slowInspect } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';

// Eleventh adversarial review: the real Watchdog on the model's in-memory Engine 20.10. Fails on the
// reviewed code.
//
// A container that starts is inspected (event-router.ts: `start` of an unknown id → discovery.later)
// and its watch made from that answer (discovery.ts consider). Events about an id with no watch yet are
// dropped (routeEvent: `if (!w) { if (start) later(); return; }`). The inspect's answer and the event
// stream come over two connections: when the answer says "running" and is read after the container's
// `die` (the app crashed right after it started: a bad config, a missing file; the engine or a socket
// proxy slow to answer the inspect; healer's loop busy), the crash is lost: the watch believes the
// container runs, and a container with `healer.restart.on_exit` and no probe stays down for good, with
// no `died` alert. README: "A container that exits before healer's first inspect returns, or while
// healer's own start of it is in flight, is handled as a crash seen live." Nothing resynchronises it
// later (only a reconnect of the event stream lists containers again).

const world = worldsPerTest();

describe("review11: a crash right after start, read before the first inspect's answer", () => {
  it('is seen: the on_exit container is started again and its death alerted', async () => {
    const w = await world();
    // The engine's answer as of the call, read 300 ms later (a busy engine or proxy), after what happened meanwhile.
    const slow = await slowInspect(w, 300, true);
    await w.startHealer();
    const c = w.engine.create('job', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true' });
    slow.id = c.id;
    w.engine.startNow(c); // start: healer inspects it
    await w.settle();
    await w.clock.advance(50, () => w.settle());
    w.engine.crash(c, 3); // die 3, 50 ms after its start, before the inspect's answer is read
    await w.clock.advance(10_000, () => w.settle());
    expect(w.alerts.filter((a) => a.event === 'died').map((a) => a.container?.name), 'died alerts').toEqual(['job']);
    expect(c.running, 'started again by healer (on_exit)').toBe(true);
  }, 30_000);
});
