import { describe, expect, it } from 'vitest';
import { runWatched, worldsPerTest } from './worlds.ts';
import { EngineError } from '../../src/docker/engine.ts';

// Fourth review: each test drives the real Watchdog through one concrete, legal sequence and asserts
// what the README promises. Regressions: each failed before its fix.

const world = worldsPerTest();

const TASK = {
  'healer.enable': 'true',
  'healer.liveness': 'tcp://127.0.0.1:1',
  'healer.liveness.interval': '1s',
  'healer.liveness.failures': '2',
  'com.docker.swarm.task.id': 'task7',
  'com.docker.swarm.service.name': 'svc-web',
  'com.docker.swarm.task.name': 'svc-web.1.task7',
  'com.docker.swarm.node.id': 'node1',
};

describe('review4: a task container handed back (task.replace: remove) whose remove the engine refuses after the stop ran', () => {
  it('is handed back all the same (Swarm sees the task fail): no `died 143` for healer’s own stop, no restart_failed, the hand-back alerted', async () => {
    const w = await world();
    await w.killHealer();
    let refused = 0;
    w.patchEngine((engine) => {
      engine.remove = (id: string) => {
        refused++;
        return Promise.reject(new EngineError(`remove ${id.slice(0, 12)} failed with HTTP 409: removal of container is already in progress`, 409, undefined));
      };
    });
    await w.startHealer();
    const c = await runWatched(w, 'web', TASK);
    const before = w.alerts.length;
    w.engine.setApp(c, 'hang');
    await w.clock.advance(6_000, () => w.settle());
    expect(refused).toBe(1);
    expect(c.running).toBe(false);
    const events = w.alerts.slice(before).map((a) => `${a.event}: ${a.reason}`);
    expect(events.filter((e) => e.startsWith('died') || e.startsWith('restart_failed'))).toEqual([]);
    expect(events).toContain('restarted: stopped so its orchestrator replaces it (the engine refused to remove it, so it stays as task history): 2 failed liveness probes in a row');
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('stopped');
  }, 30_000);
});

describe('review4: a quarantine stop (healer.action: stop) the engine refuses once', () => {
  it('is tried again after the backoff (README: a failed action is retried), and the container ends up stopped', async () => {
    const w = await world();
    await w.killHealer();
    let refused = 0;
    w.patchEngine((engine) => {
      const stop = engine.stop.bind(engine);
      engine.stop = (id: string, timeoutMs: number) => {
        if (refused > 0) return stop(id, timeoutMs);
        refused++;
        return Promise.reject(new EngineError(`stop ${id.slice(0, 12)} failed with HTTP 500: cannot stop container: permission denied (AppArmor)`, 500, undefined));
      };
    });
    await w.startHealer();
    const c = await runWatched(w, 'api', { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2', 'healer.action': 'stop' });
    const before = w.alerts.length;
    w.engine.setApp(c, 'hang');
    await w.clock.advance(4_000, () => w.settle());
    expect(refused).toBe(1);
    await w.clock.advance(60_000, () => w.settle());
    expect(c.running).toBe(false);
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('stopped');
    const events = w.alerts.slice(before).map((a) => a.event);
    expect(events.filter((e) => e === 'restart_failed')).toHaveLength(1);
    // The contract's event for a failed action, named for what failed: the stop, not a restart.
    expect(w.alerts.slice(before).find((a) => a.event === 'restart_failed')).toMatchObject({ summary: `stop of ${c.name} failed`, reason: expect.stringMatching(/^the engine refused to stop it: stop [0-9a-f]{12} failed with HTTP 500/) as unknown });
  }, 30_000);
});
