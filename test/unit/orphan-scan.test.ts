import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { inertWatch } from '../helpers/inert-watch.ts';
import type { Engine } from '../../src/docker/engine.ts';
import type { TaskStanding } from '../../src/docker/services.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { OrphanScan } from '../../src/watchdog/orphan-scan.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// A scan asked for while another runs (a reconnect while a manager answers GET /tasks/{id} slowly) used
// to be dropped: a task container discovered after the running scan had listed its watches was not asked
// about until the next reconnect, however long that was. Here the manager's /tasks answer is held open.

const clock = { now: () => 1_000_000, setTimeout: () => ({}), clearTimeout: () => undefined };

function taskWatch(i: number): ContainerWatch {
  const info: ContainerInfo = { ...syntheticContainer(i, {}), name: `web.${i}`, task: { taskId: `task${i}`, service: 'web', slot: i, node: 'n1' } };
  return inertWatch(info, {}, clock);
}

/** A manager whose answers to GET /tasks/{id} wait until the test lets them go; task1 is current, task2 has ended. */
function heldManager(watches: Map<string, ContainerWatch>) {
  const asked: string[] = [];
  const held: (() => void)[] = [];
  const engine = {
    taskStanding: (taskId: string): Promise<TaskStanding> => {
      asked.push(taskId);
      const standing: TaskStanding = taskId === 'task2' ? { kind: 'ended', why: 'its task is failed (desired state shutdown)' } : { kind: 'current' };
      return new Promise((resolve) => held.push(() => resolve(standing)));
    },
    inspect: (id: string) => Promise.resolve(watches.get(id)?.info),
  };
  const release = async (): Promise<void> => {
    while (held.length > 0) {
      for (const go of held.splice(0)) go();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { engine: engine as unknown as Engine, asked, release };
}

describe('orphan scans asked for while one runs', () => {
  it('are coalesced into exactly one more scan after the running one, which asks about the containers found since', async () => {
    const watches = new Map<string, ContainerWatch>();
    const first = taskWatch(1);
    watches.set(first.id, first);
    const manager = heldManager(watches);
    const scans = new OrphanScan({ engine: manager.engine, clock, log: pino({ level: 'silent' }) });

    const running = scans.scan(watches);
    await new Promise((r) => setImmediate(r));
    expect(manager.asked).toEqual(['task1']); // the first scan waits on the manager's answer

    // Meanwhile a resync finds an orphan (its task ended), and three more scans are asked for.
    const orphan = taskWatch(2);
    watches.set(orphan.id, orphan);
    const later = [scans.scan(watches), scans.scan(watches), scans.scan(watches)];
    expect(manager.asked).toEqual(['task1']); // not asked twice at once

    await manager.release();
    await Promise.all([running, ...later]);
    // One more scan, not three, and it asked about the container found while the first one ran.
    expect(manager.asked).toEqual(['task1', 'task1', 'task2']);
    expect(orphan.orphanSeen).toBe(true);
    expect(first.orphanSeen).toBe(false);

    // Once everything has settled, a new request scans again at once.
    const again = scans.scan(watches);
    await manager.release();
    await again;
    expect(manager.asked).toEqual(['task1', 'task1', 'task2', 'task1']);
  });

  it('a single request with none running is one scan', async () => {
    const watches = new Map<string, ContainerWatch>();
    const w = taskWatch(2);
    watches.set(w.id, w);
    const manager = heldManager(watches);
    const done = new OrphanScan({ engine: manager.engine, clock, log: pino({ level: 'silent' }) }).scan(watches);
    await manager.release();
    await done;
    expect(manager.asked).toEqual(['task2']);
    expect(w.orphanSeen).toBe(true);
  });
});
