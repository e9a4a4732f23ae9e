import { describe, expect, it } from 'vitest';
import { worldsPerTest } from './worlds.ts';
import type { World } from './harness.ts';
import type { SimContainer } from './sim-engine.ts';

// Orphans no event showed: a Swarm task container restarted while healer was not running, or while its
// event stream was down. Swarm has failed its task (the sim engine marks a task ended when its container
// goes down, as Swarm does) and the container runs on. healer asks the manager after each full discovery.

const world = worldsPerTest();

const task = (w: World, name: string, labels: Record<string, string> = {}): SimContainer => w.runTask(name, labels);

const orphanAlerts = (w: World, c: SimContainer) => w.alerts.filter((a) => a.event === 'orphan' && a.container?.name === c.name);

describe('orphans found through the orchestrator (a manager answers /tasks)', () => {
  it('a task container restarted while healer was not running is reported at start-up, and removed with task.orphans: remove', async () => {
    const w = await world();
    const keep = task(w, 'keep', { 'healer.task.orphans': 'remove' });
    const report = task(w, 'report');
    const fine = task(w, 'fine', { 'healer.task.orphans': 'remove' });
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    await w.killHealer();
    // `docker restart` of both while healer is down: Swarm fails their tasks, the containers run on.
    w.engine.restartNow(keep);
    w.engine.restartNow(report);
    await w.clock.advance(2_000, () => w.settle());
    const n = w.engine.actions.length;
    await w.startHealer();
    await w.clock.advance(5_000, () => w.settle());
    expect(orphanAlerts(w, keep).map((a) => a.reason)).toEqual(['runs outside its orchestrator, which no longer tracks it: its task is failed (desired state shutdown) (an orphan)']);
    expect(orphanAlerts(w, report)).toHaveLength(1);
    expect(orphanAlerts(w, fine)).toHaveLength(0);
    const acted = w.engine.actions.slice(n);
    // Handed back (stop, then remove: task.replace's default) only where allowed; never restarted or started.
    expect(acted.map((a) => `${a.kind} ${a.before?.name ?? ''}`)).toEqual([`stop ${keep.name}`, `remove ${keep.name}`]);
    expect(w.engine.containers.has(keep.id)).toBe(false);
    expect(report.running && fine.running).toBe(true);
    // Not an alert of the slot's failure: no crash loop, no restarted-for-failure count of the slot.
    expect(w.alerts.filter((a) => a.event === 'crashloop')).toEqual([]);
  }, 30_000);

  it('an orphan made while the event stream was down is reported after the reconnect', async () => {
    const w = await world();
    const c = task(w, 'gap');
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    await w.cut(() => w.engine.restartNow(c));
    await w.clock.advance(2_000, () => w.settle());
    expect(orphanAlerts(w, c)).toHaveLength(1);
    // A second reconnect asks no more about it, and says nothing again.
    const asks = w.engine.taskAsks;
    await w.cut(() => undefined);
    await w.clock.advance(2_000, () => w.settle());
    expect(w.engine.taskAsks).toBe(asks);
    expect(orphanAlerts(w, c)).toHaveLength(1);
  }, 30_000);

  it('on a worker (the engine is no manager) the engine is asked once per scan, and an orphan is still found from its own record', async () => {
    const w = await world();
    const a = task(w, 'a');
    const b = task(w, 'b');
    const c = task(w, 'c');
    await w.settle();
    await w.killHealer();
    w.engine.restartNow(c); // ended (FinishedAt set), then started again: Swarm never does that
    w.engine.manager = false;
    const asks = w.engine.taskAsks;
    await w.startHealer();
    await w.clock.advance(5_000, () => w.settle());
    expect(w.engine.taskAsks - asks).toBe(1);
    expect(orphanAlerts(w, c).map((x) => x.reason)).toEqual(['runs outside its orchestrator, which no longer tracks it: its container was started again after it had ended (an orphan)']);
    expect(w.alerts.filter((x) => x.event === 'orphan')).toHaveLength(1);
    expect([a, b, c].map((x) => w.wd.watches.get(x.id)?.state.lifecycle)).toEqual(['running', 'running', 'running']);
  }, 30_000);

  it("a task whose orchestrator says it ended, but whose container exited before healer looked again, is no orphan", async () => {
    const w = await world();
    const c = task(w, 'race', { 'healer.task.orphans': 'remove' });
    await w.settle();
    await w.killHealer();
    w.engine.restartNow(c); // its task is failed
    // The answer to /tasks comes after the container has exited, and before its die event reaches healer.
    w.patchEngine((engine) => {
      const ask = engine.taskStanding.bind(engine);
      engine.taskStanding = async (taskId, containerId) => {
        const answer = await ask(taskId, containerId);
        c.running = false; // the die event is still on its way (not sent here)
        c.exitCode = 0;
        c.finishedAt = w.clock.now();
        return answer;
      };
    });
    const n = w.engine.actions.length;
    await w.startHealer();
    await w.clock.advance(500, () => w.settle());
    expect(orphanAlerts(w, c)).toEqual([]);
    expect(w.engine.actions.slice(n)).toEqual([]);
  }, 30_000);
});
