import { describe, expect, it } from 'vitest';
import { drainingStop, onStop, stopForbidden } from './restart-faults.ts';
import { runWatched, worldsPerTest } from './worlds.ts';
import { EngineError } from '../../src/docker/engine.ts';
import type { World } from './harness.ts';
import type { SimContainer } from './sim-engine.ts';

// Fifth review: each test drives the real Watchdog through one concrete, legal sequence and asserts what
// the README promises. Each fails on the code it was written against (main at 580f35b).

const world = worldsPerTest();

const LIVE = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' };
const QUARANTINE = { ...LIVE, 'healer.action': 'stop' };

const task = (w: World, name: string, labels: Record<string, string> = {}): SimContainer => w.runTask(name, labels);

describe('review5: a quarantine stop (healer.action: stop) the engine refuses every time (a socket proxy without ALLOW_STOP, AppArmor)', () => {
  it('backs off as a refused restart does (README: "retried after its backoff"), not one critical restart_failed every backoff.initial forever', async () => {
    const w = await world();
    const stops = await onStop(w, (id) => stopForbidden(id));
    await w.startHealer();
    const c = await runWatched(w, 'api', QUARANTINE);
    const before = w.alerts.length;
    w.engine.setApp(c, 'hang');
    // Ten minutes; the model's backoff is 2 s doubling to 16 s (a refused restart: 2+4+8+16+16... ≈ 40 tries).
    for (let i = 0; i < 60; i++) await w.clock.advance(10_000, () => w.settle());
    const failed = w.alerts.slice(before).filter((a) => a.event === 'restart_failed').length;
    expect(c.running).toBe(true);
    // With backoff.initial fixed: ~300 stop calls and ~300 critical alerts (one every 2 s; 60 a minute at the default 10 s).
    expect(stops()).toBeLessThanOrEqual(45);
    expect(failed).toBeLessThanOrEqual(45);
  }, 60_000);
});

describe('review5: a quarantine stop that the engine carried out but answered with an error (a proxy timing out, a late answer)', () => {
  it('is not alerted as restart_failed ("the engine refused to stop it"), and the watch sees the container stopped', async () => {
    const w = await world();
    const stops = await onStop(w, async (id, send) => {
      await send(); // kill, die 143, stop: all while healer's stop is in flight
      throw new EngineError(`stop ${id.slice(0, 12)} failed with HTTP 504: gateway timeout`, 504, undefined);
    });
    await w.startHealer();
    const c = await runWatched(w, 'api', QUARANTINE);
    const before = w.alerts.length;
    w.engine.setApp(c, 'hang');
    await w.clock.advance(60_000, () => w.settle());
    expect(stops()).toBe(1);
    expect(c.running).toBe(false);
    const events = w.alerts.slice(before).map((a) => `${a.event}: ${a.reason}`);
    expect(events.filter((e) => e.startsWith('restart_failed'))).toEqual([]);
    // It stays "running" (probed, failing, status page and /api/status wrong) until someone starts it.
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('stopped');
  }, 30_000);
});

describe('review5: a hand-back (task.replace: remove) during which someone starts the container again, so the engine refuses its remove (409: running)', () => {
  it('the orphan is handed back later and removed: that alert says removed, not "the engine refused to remove it" (a stale mark)', async () => {
    const w = await world();
    await w.killHealer();
    let removes = 0;
    w.patchEngine((engine) => {
      const remove = engine.remove.bind(engine);
      engine.remove = (id: string) => {
        if (++removes > 1) return remove(id);
        // `docker start` of the stopped task container between healer's stop and its remove.
        const c = w.engine.containers.get(id);
        if (c) w.engine.startNow(c);
        return Promise.reject(new EngineError(`remove ${id.slice(0, 12)} failed with HTTP 409: You cannot remove a running container`, 409, undefined));
      };
    });
    await w.startHealer();
    const c = task(w, 'web', { 'healer.task.orphans': 'remove' });
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    const before = w.alerts.length;
    w.engine.setApp(c, 'hang');
    await w.clock.advance(20_000, () => w.settle());
    expect(removes).toBe(2);
    expect(w.engine.containers.has(c.id)).toBe(false);
    const restarted = w.alerts.slice(before).filter((a) => a.event === 'restarted').map((a) => a.reason);
    expect(restarted.at(-1)).toMatch(/^removed so its orchestrator replaces it/);
  }, 30_000);
});

describe('review5: an orphan seen starting (task.orphans: report), then the event stream reconnects', () => {
  it('is alerted once per healer process (README: "once per healer process"), not again by the scan after the reconnect', async () => {
    const w = await world();
    const c = task(w, 'seen');
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    w.engine.restartNow(c); // `docker restart`, seen live: Swarm failed the task, the container runs on
    await w.clock.advance(3_000, () => w.settle());
    const orphans = () => w.alerts.filter((a) => a.event === 'orphan' && a.container?.name === c.name);
    expect(orphans()).toHaveLength(1);
    await w.cut(() => undefined); // a proxy restart, dockerd's API blip
    await w.clock.advance(3_000, () => w.settle());
    expect(orphans()).toHaveLength(1);
  }, 30_000);
});

describe('review5: a quarantine stop whose answer fails before the container has exited (a proxy timing out while the app drains SIGTERM)', () => {
  it('healer’s own stop is not read as a crash: no `died 143`, and with restart.on_exit the quarantined container is not started again', async () => {
    const w = await world();
    // The engine sends the stop signal now; the app drains for 5 s and exits 143, then the engine's `stop`.
    // The proxy in front gives up first.
    const stops = await onStop(w, (id) => drainingStop(w, id, 5_000));
    await w.startHealer();
    const c = await runWatched(w, 'api', { ...QUARANTINE, 'healer.restart.on_exit': 'true' });
    const before = w.alerts.length;
    const acted = w.engine.actions.length;
    w.engine.setApp(c, 'hang');
    await w.clock.advance(30_000, () => w.settle());
    expect(stops()).toBeGreaterThanOrEqual(1);
    const events = w.alerts.slice(before).map((a) => `${a.event}: ${a.reason}`);
    expect(w.engine.actions.slice(acted).filter((a) => a.kind === 'start' || a.kind === 'restart')).toEqual([]);
    expect(c.running).toBe(false);
    expect(events.filter((e) => e.startsWith('died'))).toEqual([]);
  }, 30_000);
});

describe('review5: while a refused quarantine stop waits for its retry (Pending.notBefore)', () => {
  it('the status says backoff with backoffUntil, not `breaker` ("a restart waits for the mass-failure breaker") with the breaker closed', async () => {
    const w = await world();
    await onStop(w, (id) => stopForbidden(id));
    await w.startHealer();
    const c = await runWatched(w, 'api', QUARANTINE);
    w.engine.setApp(c, 'hang');
    // Until the first refusal is answered (2 failed probes), then half-way into the 2 s wait.
    for (let i = 0; i < 40 && !w.wd.watches.get(c.id)?.state.pending; i++) await w.clock.advance(100, () => w.settle());
    expect(w.wd.watches.get(c.id)?.state.pending?.notBefore).toBeGreaterThan(w.clock.now());
    const st = w.wd.status();
    expect(st.paused).toBe(false);
    const api = st.containers.find((x) => x.name === 'api');
    expect(api?.state).toBe('backoff');
    expect(api?.backoffUntil).toBeDefined();
  }, 30_000);
});

describe('review5: a hand-back whose stop the engine carried out but answered with an error (a late answer, a proxy timing out)', () => {
  it('is a hand-back all the same (Swarm saw the task end), as a refused remove after the stop is: no restart_failed, the container removed', async () => {
    const w = await world();
    const stops = await onStop(w, async (id, send) => {
      await send();
      throw new Error(`stop ${id.slice(0, 12)}: the engine did not answer within 12s`);
    });
    await w.startHealer();
    const c = task(w, 'web');
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    const before = w.alerts.length;
    w.engine.setApp(c, 'hang');
    await w.clock.advance(30_000, () => w.settle());
    expect(stops()).toBe(1);
    expect(c.running).toBe(false);
    const events = w.alerts.slice(before).map((a) => `${a.event}: ${a.reason}`);
    expect(events.filter((e) => e.startsWith('restart_failed'))).toEqual([]);
    expect(w.engine.containers.has(c.id)).toBe(false);
  }, 30_000);
});
