import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { TaskSlots } from '../../src/watchdog/slot-watch.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { alertDue, loopReason, looping, MAX_EXITS, pruned, replacements, slotKey, taskExited, taskStarted, type SlotRules } from '../../src/watchdog/task-slots.ts';
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
  it('counts every new task after the first as a replacement, each task once', () => {
    let r = taskStarted(undefined, 't1', 1000, 1000, W);
    r = taskStarted(r, 't1', 1000, 5000, W);
    expect(replacements(r, 5000, W)).toBe(0);
    r = taskStarted(r, 't2', 6000, 6000, W);
    expect(replacements(r, 6000, W)).toBe(1);
  });

  it('opens after more than `restarts` replacements in the window; older ones fall out', () => {
    let r = taskStarted(undefined, 't0', 0, 0, W);
    for (let i = 1; i <= 5; i++) r = taskStarted(r, `t${i}`, i * 1000, i * 1000, W);
    expect(looping(r, 5000, rules)).toBe(false);
    r = taskStarted(r, 't6', 6000, 6000, W);
    expect(looping(r, 6000, rules)).toBe(true);
    expect(looping(r, W + 2000, rules)).toBe(false);
  });

  it('a task seen out of order (a resync after a healer restart) is placed by its start time', () => {
    let r = taskStarted(undefined, 'late', 9000, 10_000, W);
    r = taskStarted(r, 'early', 3000, 10_000, W);
    expect(r.starts.map((s) => s.task)).toEqual(['early', 'late']);
    expect(taskStarted(r, 'ancient', 10_000 - W, 10_000, W)).toBe(r);
  });

  it('keeps the last exit codes, bounded', () => {
    let r = taskStarted(undefined, 't', 0, 0, W);
    for (let i = 0; i < MAX_EXITS + 3; i++) r = taskExited(r, i, i, W);
    expect(r.exits.map((e) => e.exitCode)).toEqual(Array.from({ length: MAX_EXITS }, (_, i) => i + 3));
  });

  it('one alert per throttle window while it loops, naming the exit codes and deploy.restart_policy', () => {
    let r = taskStarted(undefined, 't0', 0, 0, W);
    for (let i = 1; i <= 6; i++) r = taskExited(taskStarted(r, `t${i}`, i * 1000, i * 1000, W), i * 1000 + 500, 3, W);
    expect(alertDue(r, 7000, rules)).toBe(true);
    r = { ...r, alertedAt: 7000 };
    expect(alertDue(r, 7000 + 59_999, rules)).toBe(false);
    expect(alertDue(r, 7000 + 60_000, rules)).toBe(true);
    expect(loopReason('web.1', r, 7000, rules)).toBe(
      'web.1: 6 replacement tasks within 600s (limit 5); last exit codes 3, 3, 3, 3, 3, 3; its orchestrator keeps replacing it (in Swarm, deploy.restart_policy delay, max_attempts and window slow or end the loop)',
    );
  });

  it('is forgotten once nothing is left in the window', () => {
    const r = taskExited(taskStarted(undefined, 't', 0, 0, W), 10, 1, W);
    expect(pruned(r, 100, W)).toBe(r);
    expect(pruned(r, W + 10, W)).toBeUndefined();
  });
});

/** A watch of a task container in slot web.1 started at `startedAt` (nothing is probed). */
function taskWatch(task: string, startedAt: number, now: () => number, exited?: { at: number; code: number }): ContainerWatch {
  const result = policyFromLabels({ labels: {}, prefix: 'healer', containerName: `web.1.${task}`, rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const info: ContainerInfo = { ...syntheticContainer(0, {}), id: task, name: `web.1.${task}`, startedAt, task: { taskId: task, service: 'web', slot: 1, node: 'n1' }, ...(exited ? { running: false, finishedAt: exited.at, exitCode: exited.code } : {}) };
  return new ContainerWatch(info, result.policy, {
    probers: {} as never,
    observer: NO_OBSERVER,
    clock: { now, setTimeout: () => ({}), clearTimeout: () => undefined },
    log: pino({ level: 'silent' }),
    effects: { act: () => Promise.resolve(), notify: () => undefined, context: () => ({ heldBy: undefined, paused: false }), changed: () => undefined },
    address: () => ({ ok: true, address: '127.0.0.1' }),
    dryRun: false,
  });
}

describe('TaskSlots', () => {
  it('alerts a crash-looping slot once, quiets the per-task died alerts, and keeps the count across a healer restart', async () => {
    const path = `${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`;
    let now = 1_000_000;
    const alerts: AlertInput[] = [];
    const make = () => {
      const state = new StateFile(path, pino({ level: 'silent' }));
      state.load();
      const slots = new TaskSlots({ state, clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined }, alerter: { emit: (a) => alerts.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: 600_000 });
      return { state, slots };
    };
    const first = make();
    let slots = first.slots;
    const died: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const w = taskWatch(`t${i}`, now, () => now);
      slots.started(w);
      now += 1000;
      died.push(slots.exited(w, 3));
      now += 1000;
    }
    expect(alerts).toEqual([]);
    await first.state.flush();
    slots = make().slots; // healer restarted: the slot's history comes back from the file
    for (let i = 4; i < 9; i++) {
      const w = taskWatch(`t${i}`, now, () => now);
      slots.started(w);
      now += 1000;
      died.push(slots.exited(w, 3));
      now += 1000;
    }
    expect(alerts.map((a) => [a.event, a.container?.name, a.exitCode])).toEqual([['crashloop', 'web.1.t6', 3]]);
    expect(alerts[0]?.reason).toMatch(/^web\.1: 6 replacement tasks within 600s \(limit 5\); last exit codes 3, 3, 3, 3, 3, 3/);
    expect(died).toEqual([true, true, true, true, true, true, false, false, false]);
  });

  it('takes the exit codes of tasks found already exited (history at start-up)', () => {
    const now = 1_000_000;
    const alerts: AlertInput[] = [];
    const state = new StateFile(`${mkdtempSync(`${tmpdir()}/healer-slots-test-`)}/state.json`, pino({ level: 'silent' }));
    const slots = new TaskSlots({ state, clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined }, alerter: { emit: (a) => alerts.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: 600_000 });
    for (let i = 0; i < 7; i++) slots.started(taskWatch(`t${i}`, now - 20_000 + i * 2000, () => now, { at: now - 19_000 + i * 2000, code: 7 }));
    expect(alerts.map((a) => a.reason.match(/last exit codes ([\d, ]+);/)?.[1])).toEqual(['7, 7, 7, 7, 7, 7, 7']);
    expect(state.slot('web.1')?.exits).toHaveLength(7);
  });
});
