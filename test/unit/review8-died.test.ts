import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { inertWatch } from '../helpers/inert-watch.ts';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { TaskSlots } from '../../src/watchdog/slot-watch.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Eighth adversarial review (issue 16, swarm.crashloops: cluster). Fails on the reviewed code.
//
// In cluster mode a node sends at most one `died` per replicated slot per alerts.throttle.window (10m by
// default), whatever the task, whatever the exit code, looping or not. A slot that is NOT looping never
// gets a `crashloop` alert from anyone (the leader alerts only more than crashloop.restarts failures in
// the window), so a second, unrelated death of the slot within 10 minutes is told to nobody.
//
// Trigger: `web` (replicated, 1 replica). Task A exits 1 (a bad config); the operator fixes it with
// `docker service update`, Swarm starts task B in the same slot, B serves for 8 minutes and is then
// OOM-killed (exit 137) on the same node. Two failures in 10 minutes: no crash loop (limit 5), so the
// leader is silent; this node swallows B's `died`. With swarm.crashloops: node both deaths are told.

function taskWatch(task: string, now: () => number): ContainerWatch {
  const info: ContainerInfo = { ...syntheticContainer(0, {}), id: task, name: `web.1.${task}`, startedAt: now() - 1000, task: { taskId: task, service: 'web', slot: 1, node: 'n1' } };
  return inertWatch(info, {}, { now, setTimeout: () => ({}), clearTimeout: () => undefined });
}

describe('review8: the once-per-slot died throttle (cluster mode) swallows a later, unrelated death of a slot that never loops', () => {
  it.each(['node', 'cluster'] as const)('swarm.crashloops: %s: task B of web.1, OOM-killed 8 minutes after task A exited, is still a died alert', (crashloops) => {
    let now = 1_000_000;
    const alerts: AlertInput[] = [];
    const state = new StateFile(`${mkdtempSync(`${tmpdir()}/healer-review8-`)}/state.json`, pino({ level: 'silent' }));
    state.load();
    const slots = new TaskSlots({ state, clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined }, alerter: { emit: (a) => alerts.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: 600_000, crashloops, clusterCounts: () => true });
    const a = slots.failed(taskWatch('A', () => now), { kind: 'exit', exitCode: 1 });
    now += 8 * 60_000; // B ran fine for 8 minutes
    const b = slots.failed(taskWatch('B', () => now), { kind: 'exit', exitCode: 137 });
    expect(alerts).toEqual([]); // no crash loop here, and none on the leader (2 failures, limit 5)
    expect({ a, b }).toEqual({ a: true, b: true });
  });
});
