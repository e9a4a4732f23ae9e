import { afterEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { EngineError } from '../../src/docker/engine.ts';
import { World } from './harness.ts';

// Review 25c. Trigger: a restart.on_exit container with no liveness probe (`worker`, depends on `db`)
// crashes while db fails; healer holds its start (`held` to every channel) and is killed (an upgrade).
// While no healer runs the operator starts worker by hand. The next healer finds it running: nothing is
// fed to its state machine (no `started` input for a container found running), so the kept `unresolved`
// and `held` are never ended: no `recovered` (README: a kept `held` is "ended as live by `recovered` once
// it runs again"), HealerRestartHeld lapses in Alertmanager only by its resolve_timeout, and chat and
// webhooks never hear the end. Worse, KeptAlerts keeps waiting for "the first hold" to re-tell: when
// worker crashes again hours later while db still fails and its start is held anew, that NEW hold is
// marked `kept` and goes to Alertmanager only, as "firing since" the old one; chat and webhooks are
// never told of the new incident.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

const of = (w: World, name: string, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container?.name === name && a.event === event);

describe('review25c: a held start, the container started by an operator while no healer ran', () => {
  it('the next healer ends the held with one recovered, and a later new hold is told to every channel', async () => {
    const w = await World.create();
    worlds.push(w);
    const db = w.run('db', 'live', 'ok');
    const worker = w.engine.create('worker', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true', 'healer.depends_on': 'db' }, { restartPolicy: 'no', app: 'ok' });
    w.engine.startNow(worker);
    await w.advance(5_000);
    w.engine.setApp(db, 'hang');
    await w.advance(1_500);
    w.engine.crash(worker, 3);
    for (let i = 0; i < 100 && of(w, 'worker', 'held').length === 0; i++) await w.advance(100);
    expect(of(w, 'worker', 'held')).toHaveLength(1);
    await w.state.flush();
    await w.killHealer();
    w.engine.startNow(worker); // the operator starts it by hand while no healer runs
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(10_000);
    const recovered = of(w, 'worker', 'recovered', from).length;
    // db still fails: the worker crashes again and its start is held again: a new hold.
    const from2 = w.alerts.length;
    w.engine.crash(worker, 3);
    for (let i = 0; i < 100 && of(w, 'worker', 'held', from2).length === 0; i++) await w.advance(100);
    const held2 = of(w, 'worker', 'held', from2);
    expect.soft(recovered).toBe(1);
    expect(held2.map((a) => a.reopened)).toEqual([undefined]);
  }, 60_000);
});

describe('review25c: a refused start, the container started by an operator while no healer ran', () => {
  // Trigger: the engine refuses the on-exit start of `worker` (no liveness probe): restart_failed to every
  // channel; healer is killed; the operator starts worker by hand. The next healer found it running and
  // fed it nothing: the kept restart_failed was never ended (no recovered).
  it('the next healer ends the restart_failed with one recovered', async () => {
    const w = await World.create();
    worlds.push(w);
    await w.killHealer();
    w.patchEngine((engine, gen) => {
      if (gen !== 2) return;
      engine.start = (id: string) => Promise.reject(new EngineError(`start ${id.slice(0, 12)} failed with HTTP 500: no space left on device`, 500, undefined));
    });
    await w.startHealer();
    const worker = w.engine.create('worker', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true' }, { restartPolicy: 'no', app: 'ok' });
    w.engine.startNow(worker);
    await w.advance(5_000);
    w.engine.crash(worker, 3);
    for (let i = 0; i < 100 && of(w, 'worker', 'restart_failed').length === 0; i++) await w.advance(100);
    expect(of(w, 'worker', 'restart_failed')).toHaveLength(1);
    expect(worker.running).toBe(false);
    await w.state.flush();
    await w.killHealer();
    w.engine.startNow(worker); // the operator starts it by hand while no healer runs
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(10_000);
    expect(of(w, 'worker', 'recovered', from)).toHaveLength(1);
    expect(of(w, 'worker', 'restart_failed', from)).toEqual([]);
  }, 60_000);
});

describe('review25c: a held start, the container started by an operator, then held again (one healer)', () => {
  // Trigger: as above without healer's restart: the operator's start ends the hold (recovered), the
  // worker crashes again while db still fails. The machine kept `heldBy` across the start, so the new
  // hold of the same dependency was not alerted at all (held is told when heldBy changes).
  it('the new hold is alerted', async () => {
    const w = await World.create();
    worlds.push(w);
    const db = w.run('db', 'live', 'ok');
    const worker = w.engine.create('worker', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true', 'healer.depends_on': 'db' }, { restartPolicy: 'no', app: 'ok' });
    w.engine.startNow(worker);
    await w.advance(5_000);
    w.engine.setApp(db, 'hang');
    await w.advance(1_500);
    w.engine.crash(worker, 3);
    for (let i = 0; i < 100 && of(w, 'worker', 'held').length === 0; i++) await w.advance(100);
    expect(of(w, 'worker', 'held')).toHaveLength(1);
    w.engine.startNow(worker); // the operator starts it by hand
    await w.advance(5_000);
    expect(of(w, 'worker', 'recovered')).toHaveLength(1);
    const from = w.alerts.length;
    w.engine.crash(worker, 3);
    for (let i = 0; i < 100 && of(w, 'worker', 'held', from).length === 0; i++) await w.advance(100);
    expect(of(w, 'worker', 'held', from).map((a) => a.reopened)).toEqual([undefined]);
  }, 60_000);
});
