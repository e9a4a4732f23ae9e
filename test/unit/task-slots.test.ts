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
import { alertDue, failed, lastExitCode, loopReason, looping, MAX_FAILURES, pruned, slotKey, taskFailed, type SlotRecord, type SlotRules } from '../../src/watchdog/task-slots.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

const W = 600_000;
const rules: SlotRules = { restarts: 5, windowMs: W, throttleMs: 60_000 };

describe('slot keys', () => {
  it('replicated: service and slot; global: service and node', () => {
    expect(slotKey({ taskId: 't', service: 'web', slot: 2, node: 'n1' })).toBe('web.2');
    expect(slotKey({ taskId: 't', service: 'agent', slot: undefined, node: 'n1' })).toBe('agent@n1');
  });
});

describe('counting a slot', () => {
  const exit3 = { kind: 'exit', exitCode: 3 } as const;

  it('counts each failed task once, whatever else is said about it', () => {
    let r = taskFailed(undefined, 't1', 1000, exit3, W);
    r = taskFailed(r, 't1', 1500, { kind: 'unhealthy' }, W);
    expect(failed(r, 2000, W)).toBe(1);
    r = taskFailed(r, 't2', 3000, { kind: 'replaced' }, W);
    expect(failed(r, 3000, W)).toBe(2);
  });

  it('loops at more than `restarts` failed tasks in the window; older ones fall out', () => {
    let r: SlotRecord | undefined;
    for (let i = 1; i <= 5; i++) r = taskFailed(r, `t${i}`, i * 1000, exit3, W);
    expect(r && looping(r, 5000, rules)).toBe(false);
    r = taskFailed(r, 't6', 6000, exit3, W);
    expect(looping(r, 6000, rules)).toBe(true);
    expect(looping(r, W + 2000, rules)).toBe(false);
  });

  it('a failure seen out of order (found at start-up) is placed by its time; one outside the window is not kept', () => {
    let r = taskFailed(undefined, 'late', 9000, exit3, W, 10_000);
    r = taskFailed(r, 'early', 3000, exit3, W, 10_000);
    expect(r.failures.map((f) => f.task)).toEqual(['early', 'late']);
    expect(taskFailed(r, 'ancient', 10_000 - W, exit3, W, 10_000)).toBe(r);
  });

  it('is bounded', () => {
    let r: SlotRecord | undefined;
    for (let i = 0; i < MAX_FAILURES + 3; i++) r = taskFailed(r, `t${i}`, i, exit3, W);
    expect(r?.failures).toHaveLength(MAX_FAILURES);
    expect(r?.failures[0]?.task).toBe('t3');
  });

  it('one alert per throttle window while it loops, saying how the tasks failed and naming deploy.restart_policy', () => {
    let r: SlotRecord | undefined;
    for (let i = 1; i <= 5; i++) r = taskFailed(r, `t${i}`, i * 1000, exit3, W);
    r = taskFailed(r, 'h', 5500, { kind: 'unhealthy' }, W);
    r = taskFailed(r, 'p', 6000, { kind: 'replaced' }, W);
    expect(alertDue(r, 7000, rules)).toBe(true);
    expect(lastExitCode(r)).toBe(3);
    r = { ...r, alertedAt: 7000 };
    expect(alertDue(r, 7000 + 59_999, rules)).toBe(false);
    expect(alertDue(r, 7000 + 60_000, rules)).toBe(true);
    expect(loopReason('web.1', r, 7000, rules)).toBe(
      "web.1: 7 tasks failed within 600s (limit 5); last: exit 3, exit 3, exit 3, exit 3, unhealthy, failed healer's probe; its orchestrator keeps replacing them (in Swarm, deploy.restart_policy delay, max_attempts and window slow or end the loop)",
    );
  });

  it('is forgotten once nothing is left in the window', () => {
    const r = taskFailed(undefined, 't', 10, exit3, W);
    expect(pruned(r, 100, W)).toBe(r);
    expect(pruned(r, W + 10, W)).toBeUndefined();
  });
});

/** A watch of a task container in slot web.1 (or of global service `web` on n1) started at `startedAt` (nothing is probed). */
function taskWatch(task: string, startedAt: number, now: () => number, exited?: { at: number; code: number }, global = false): ContainerWatch {
  const info: ContainerInfo = { ...syntheticContainer(0, {}), id: task, name: `web.1.${task}`, startedAt, task: { taskId: task, service: 'web', slot: global ? undefined : 1, node: 'n1' }, ...(exited ? { running: false, finishedAt: exited.at, exitCode: exited.code } : {}) };
  return inertWatch(info, {}, { now, setTimeout: () => ({}), clearTimeout: () => undefined });
}

describe('TaskSlots', () => {
  const setup = (path: string, now: () => number, alerts: AlertInput[], crashloops: 'node' | 'cluster' = 'node', clusterCounts?: () => boolean, prepare?: (s: StateFile) => void) => {
    const state = new StateFile(path, pino({ level: 'silent' }));
    state.load();
    prepare?.(state);
    const slots = new TaskSlots({ state, clock: { now, setTimeout: () => ({}), clearTimeout: () => undefined }, alerter: { emit: (a) => alerts.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: 600_000, crashloops, ...(clusterCounts ? { clusterCounts } : {}) });
    return { state, slots };
  };

  it('alerts a crash-looping slot once, quiets the per-task died alerts, and keeps the count across a healer restart', async () => {
    const path = `${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`;
    let now = 1_000_000;
    const alerts: AlertInput[] = [];
    const first = setup(path, () => now, alerts);
    const send: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      now += 2000;
      send.push(first.slots.failed(taskWatch(`t${i}`, now - 1000, () => now), { kind: 'exit', exitCode: 3 }));
    }
    expect(alerts).toEqual([]);
    await first.state.flush();
    const { slots } = setup(path, () => now, alerts); // healer restarted: the slot's history comes back from the file
    for (let i = 4; i < 9; i++) {
      now += 2000;
      send.push(slots.failed(taskWatch(`t${i}`, now - 1000, () => now), { kind: 'exit', exitCode: 3 }));
    }
    expect(alerts.map((a) => [a.event, a.container?.name, a.exitCode])).toEqual([['crashloop', 'web.1.t5', 3]]);
    expect(alerts[0]?.reason).toMatch(/^web\.1: 6 tasks failed within 600s \(limit 5\); last: exit 3, exit 3, exit 3, exit 3, exit 3, exit 3;/);
    expect(send).toEqual([true, true, true, true, true, false, false, false, false]);
  });

  it('counts tasks found already exited by a crash (history at start-up), not those stopped', () => {
    const now = 1_000_000;
    const alerts: AlertInput[] = [];
    const { state, slots } = setup(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, () => now, alerts);
    for (let i = 0; i < 6; i++) slots.found(taskWatch(`c${i}`, now - 30_000, () => now, { at: now - 20_000 + i * 2000, code: 7 }));
    slots.found(taskWatch('stopped', now - 30_000, () => now, { at: now - 1000, code: 143 }));
    slots.found(taskWatch('running', now - 30_000, () => now));
    expect(alerts.map((a) => a.reason.match(/last: ([^;]+);/)?.[1])).toEqual(['exit 7, exit 7, exit 7, exit 7, exit 7, exit 7']);
    expect(state.slot('web.1')?.failures.map((f) => f.task)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
  });

  it("with swarm.crashloops: cluster, a replicated slot is counted but not alerted here (the leader's count alerts it); its died alerts still go quiet while it loops", () => {
    let now = 1_000_000;
    const alerts: AlertInput[] = [];
    const { state, slots } = setup(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, () => now, alerts, 'cluster');
    const send: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      now += 2000;
      send.push(slots.failed(taskWatch(`t${i}`, now - 1000, () => now), { kind: 'exit', exitCode: 3 }));
    }
    expect(alerts).toEqual([]);
    expect(state.slot('web.1')?.failures).toHaveLength(8);
    // One died per slot while it fails at a loop's pace here (review8-died: a slow, unrelated death is still told).
    expect(send).toEqual([true, false, false, false, false, false, false, false]);
  });

  it('with swarm.crashloops: cluster, a replicated slot failing now and then on this node (its loop spread over nodes) sends one died per throttle window', () => {
    let now = 1_000_000;
    const alerts: AlertInput[] = [];
    const { slots } = setup(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, () => now, alerts, 'cluster');
    const send: boolean[] = [];
    for (const step of [0, 60_000, 60_000, 600_000, 1000]) {
      now += step;
      send.push(slots.failed(taskWatch(`t${now}`, now - 1000, () => now), { kind: 'exit', exitCode: 3 }));
    }
    expect(send).toEqual([true, false, false, true, false]);
    // A task handed back by healer (no died alert) does not use up the slot's one died.
    now += 700_000;
    slots.failed(taskWatch('handed', now - 1000, () => now), { kind: 'replaced' });
    expect(slots.failed(taskWatch('exited', now - 1000, () => now), { kind: 'exit', exitCode: 3 })).toBe(true);
    // A global service's task is not throttled (alerted per node anyway); with `node` nothing is (test above).
    expect(slots.failed(taskWatch('other', now - 1000, () => now, undefined, true), { kind: 'exit', exitCode: 3 })).toBe(true);
  });

  it('with swarm.crashloops: cluster while leadership is unknown, this node alerts a replicated slot it sees loop (as with node)', () => {
    let now = 1_000_000;
    const alerts: AlertInput[] = [];
    let known = false;
    const { slots } = setup(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, () => now, alerts, 'cluster', () => known);
    for (let i = 0; i < 6; i++) {
      now += 2000;
      slots.failed(taskWatch(`t${i}`, now - 1000, () => now), { kind: 'exit', exitCode: 3 });
    }
    expect(alerts.map((a) => [a.event, a.reason.split(':')[0]])).toEqual([['crashloop', 'web.1']]);
    known = true;
    now += 700_000;
    for (let i = 6; i < 13; i++) {
      now += 2000;
      slots.failed(taskWatch(`t${i}`, now - 1000, () => now), { kind: 'exit', exitCode: 3 });
    }
    expect(alerts).toHaveLength(1); // the leader's count speaks again
  });

  it('with swarm.crashloops: node, cluster records a former cluster-mode healer left are dropped at start', () => {
    const alerts: AlertInput[] = [];
    const { state } = setup(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, () => 10_000_000, alerts, 'node', undefined, (s) => {
      s.setSlot('cluster:web.1', { failures: [{ task: 'x', at: 9_999_000, kind: 'exit', exitCode: 3 }], alertedAt: 9_999_000, alertedId: 'c-x' });
      s.setSlot('web.1', { failures: [{ task: 'x', at: 9_999_000, kind: 'exit', exitCode: 3 }], alertedAt: undefined });
    });
    expect(state.slotKeys()).toEqual(['web.1']);
  });

  it('with swarm.crashloops: cluster, a global service is still alerted per node here', () => {
    let now = 1_000_000;
    const alerts: AlertInput[] = [];
    const { slots } = setup(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, () => now, alerts, 'cluster');
    for (let i = 0; i < 6; i++) {
      now += 2000;
      slots.failed(taskWatch(`g${i}`, now - 1000, () => now, undefined, true), { kind: 'exit', exitCode: 3 });
    }
    expect(alerts.map((a) => [a.event, a.reason.split(':')[0]])).toEqual([['crashloop', 'web@n1']]);
  });

  it("the node's own pruning leaves the cluster count's records alone", () => {
    const now = 10_000_000;
    const alerts: AlertInput[] = [];
    const { state, slots } = setup(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, () => now, alerts, 'cluster');
    state.setSlot('cluster:web.1', { failures: [{ task: 'old', at: 1000, kind: 'exit', exitCode: 3 }], alertedAt: 1000 });
    state.setSlot('web.1', { failures: [{ task: 'old', at: 1000, kind: 'exit', exitCode: 3 }], alertedAt: undefined });
    slots.found(taskWatch('running', now - 1000, () => now));
    expect(state.slotKeys()).toEqual(['cluster:web.1']);
  });
});
