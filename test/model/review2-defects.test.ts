import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runWatched, worldsPerTest } from './worlds.ts';
import { EngineError, type Engine } from '../../src/docker/engine.ts';
import type { World } from './harness.ts';
import type { SimContainer, SimEngine } from './sim-engine.ts';

// Second adversarial review: each test drives the real Watchdog through one concrete, legal sequence
// and asserts what the README promises. Regressions: each failed before its fix.

const world = worldsPerTest();

type Patch = (sim: SimEngine, engine: Engine) => Partial<Engine>;

/** A world whose healer talks to an engine with some calls replaced (healer restarted onto it). */
async function patchedWorld(patch: Patch): Promise<World> {
  const w = await world();
  await w.killHealer();
  const connect = w.engine.connect.bind(w.engine);
  w.engine.connect = (gen: number): Engine => {
    const base = connect(gen);
    return Object.assign(Object.create(null) as Engine, base, patch(w.engine, base));
  };
  await w.startHealer();
  return w;
}

const LIVE = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' };

describe('review2: a restart whose stop half ran and whose start half the engine refused', () => {
  it('a liveness container is not left down by healer: the refused restart is retried (README: "retried after its backoff")', async () => {
    let refuse = 1;
    const w = await patchedWorld((sim, base) => ({
      // `docker restart` with the port taken by another process: kill, die, stop, then HTTP 500.
      restart: (id: string, timeoutMs: number) => {
        if (refuse === 0) return base.restart(id, timeoutMs);
        refuse--;
        const c = sim.containers.get(id) as SimContainer;
        sim.stopNow(c);
        // Answered on a later turn, as the simulated engine answers (not on a real timer the simulated clock outruns).
        return new Promise((_resolve, reject) =>
          setImmediate(() => reject(new EngineError(`restart ${id.slice(0, 12)} failed with HTTP 500: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated`, 500, undefined))),
        );
      },
    }));
    const c = await runWatched(w, 'api', LIVE);
    w.engine.setApp(c, 'hang');
    await w.clock.advance(4_000, () => w.settle());
    expect(refuse).toBe(0); // healer's restart was made, and refused after its stop half
    w.engine.setApp(c, 'ok');
    // Backoff is 2 s doubling to 16 s: a minute is plenty for the retry.
    await w.clock.advance(60_000, () => w.settle());
    expect.soft(w.wd.watches.get(c.id)?.state.lifecycle).toBe('running');
    expect(c.running).toBe(true);
  }, 30_000);
});

describe("review2: an operator's `docker pause` of the new run before healer's restart is answered", () => {
  it('the container is known as paused: not probed, no unhealthy alert, no restart decided for it', async () => {
    let pauseOnce = true;
    const w = await patchedWorld((sim, base) => ({
      // The engine restarts it; the operator pauses the new run; then healer hears the answer (a socket proxy's delay).
      restart: (id: string, timeoutMs: number) =>
        base.restart(id, timeoutMs).then(() => {
          if (!pauseOnce) return;
          pauseOnce = false;
          sim.pause(sim.containers.get(id) as SimContainer);
          return new Promise<void>((resolve) => setTimeout(resolve, 5));
        }),
    }));
    const c = await runWatched(w, 'api', LIVE);
    w.engine.setApp(c, 'hang');
    await w.clock.advance(4_000, () => w.settle());
    expect(pauseOnce).toBe(false); // healer restarted it and the new run was paused
    await sleep(30); // the answer arrives
    await w.settle();
    expect(c.paused).toBe(true);
    w.engine.setApp(c, 'ok'); // fine once unpaused; paused, every probe times out
    const alerts = w.alerts.length;
    const counted = w.wd.watches.get(c.id)?.state.budget.restarts.length;
    await w.clock.advance(20_000, () => w.settle());
    // The attempt that never reached the engine (skipped: paused) still counts towards a crash loop.
    expect.soft(w.wd.watches.get(c.id)?.state.budget.restarts.length).toBe(counted);
    expect.soft(w.wd.watches.get(c.id)?.state.lifecycle).toBe('paused');
    expect(w.alerts.slice(alerts).map((a) => `${a.event}: ${a.reason}`)).toEqual([]);
  }, 30_000);
});

describe('review2: the state file stamps savedAt with Date.now(), not the injected clock (state-file.ts:167)', () => {
  it("an on-exit container an operator stopped with `docker stop --signal SIGINT` stays stopped across a healer SIGKILL (under the model's clock)", async () => {
    const w = await world();
    const c = w.run('worker', 'onexit', 'ok');
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    // kill (signal 2), die (130), stop: an operator's stop (see review-defects.test.ts).
    const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };
    eng.emit(c, 'kill', { signal: '2' });
    eng.down(c, 130);
    eng.emit(c, 'stop');
    c.operatorStopped = true;
    await w.clock.advance(5_000, () => w.settle());
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('stopped');
    await w.state.flush(); // on disk as stopped
    const n = w.engine.actions.length;
    await w.killHealer();
    await w.startHealer();
    await w.clock.advance(10_000, () => w.settle());
    // savedAt (wall clock) vs the container's StartedAt (the injected clock): taken as started since the save.
    expect(w.engine.actions.slice(n).map((a) => a.kind)).toEqual([]);
    expect(c.running).toBe(false);
  }, 30_000);
});

describe("review2: an operator's `docker start` of a task container healer is handing back (task.replace: stop)", () => {
  it('the orphan is reported (README: a task container started again outside Swarm is alerted as orphan) and watched as running', async () => {
    let startOnce = true;
    const w = await patchedWorld((sim, base) => ({
      // The engine stops the task; the operator starts it again before healer hears the stop's answer.
      stop: (id: string, timeoutMs: number) =>
        base.stop(id, timeoutMs).then(() => {
          if (!startOnce) return;
          startOnce = false;
          const c = sim.containers.get(id) as SimContainer;
          sim.setApp(c, 'ok'); // started again in a good state: it is the orphan that matters, not its probes
          sim.startNow(c);
          return new Promise<void>((resolve) => setTimeout(resolve, 5));
        }),
    }));
    const c = w.engine.create('web', {
      ...LIVE,
      'healer.task.replace': 'stop',
      'com.docker.swarm.task.id': 'task9',
      'com.docker.swarm.service.name': 'svc-web',
      'com.docker.swarm.task.name': 'svc-web.1.task9',
      'com.docker.swarm.node.id': 'node1',
    });
    w.engine.startNow(c);
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    w.engine.setApp(c, 'hang');
    await w.clock.advance(4_000, () => w.settle());
    expect(startOnce).toBe(false); // healer handed it back, and the operator started it again
    await sleep(30); // the stop's answer arrives
    await w.settle();
    await w.clock.advance(5_000, () => w.settle());
    expect(c.running).toBe(true);
    expect.soft(w.wd.watches.get(c.id)?.state.lifecycle).toBe('running');
    expect(w.alerts.map((a) => a.event)).toContain('orphan');
  }, 30_000);
});

describe("review2: an operator's `docker stop` of an app that stops listening at SIGTERM and drains for a few seconds", () => {
  it('healer does not restart it during the grace period (the container must end up stopped)', async () => {
    const w = await world();
    const c = w.engine.create('api', LIVE);
    w.engine.startNow(c);
    await w.settle();
    await w.clock.advance(5_000, () => w.settle());
    const n = w.engine.actions.length;
    // `docker stop api` (grace 10 s): kill (SIGTERM); the app closes its listener and drains its
    // connections (server.close(), nginx -s quit, Spring graceful shutdown), exiting after 5 s.
    const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };
    eng.emit(c, 'kill', { signal: '15' });
    w.engine.setApp(c, 'hang'); // the listener is closed: probes fail
    await w.clock.advance(5_000, () => w.settle());
    if (c.running) {
      eng.down(c, 0);
      eng.emit(c, 'stop');
      c.operatorStopped = true;
    }
    await w.clock.advance(10_000, () => w.settle());
    // healer's restart during the grace brings back what the operator is stopping (the engine's restart
    // stops it, then starts it: it ends up running after `docker stop` returned).
    expect(w.engine.actions.slice(n).map((a) => a.kind)).toEqual([]);
  }, 30_000);
});

describe('review2: a Swarm rolling update of a service whose app stops listening at SIGTERM and drains', () => {
  it('is no crash loop and hands nothing back (README: rolling updates never read as a loop)', async () => {
    const w = await world();
    const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };
    const n = w.engine.actions.length;
    for (let i = 1; i <= 3; i++) {
      // Task i of slot web.1 (crashloop.restarts=1, as in the Swarm e2e test).
      const c = w.engine.create(`web.1.task${i}`, {
        ...LIVE,
        'healer.crashloop.restarts': '1',
        'com.docker.swarm.task.id': `task${i}`,
        'com.docker.swarm.service.name': 'web',
        'com.docker.swarm.task.name': `web.1.task${i}`,
        'com.docker.swarm.node.id': 'node1',
      });
      w.engine.startNow(c);
      await w.settle();
      await w.clock.advance(10_000, () => w.settle());
      // `docker service update --force web`: Swarm stops the task (SIGTERM, stop_grace_period 10 s); the app
      // closes its listener and drains for 5 s, then exits 0; Swarm removes the old container.
      eng.emit(c, 'kill', { signal: '15' });
      w.engine.setApp(c, 'hang');
      await w.clock.advance(5_000, () => w.settle());
      if (w.engine.containers.has(c.id)) {
        if (c.running) {
          eng.down(c, 0);
          eng.emit(c, 'stop');
        }
        w.engine.remove(c);
      }
      await w.settle();
    }
    await w.clock.advance(5_000, () => w.settle());
    expect.soft(w.engine.actions.slice(n).map((a) => a.kind)).toEqual([]);
    expect(w.alerts.filter((a) => a.event === 'crashloop').map((a) => a.reason)).toEqual([]);
  }, 30_000);
});
