import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { inertWatch, taskContainer } from '../helpers/inert-watch.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { TaskSlots } from '../../src/watchdog/slot-watch.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { SimClock } from '../model/sim-clock.ts';

// A node's slot record keeps its slot's own healer.crashloop.window (review 12): a restarted healer ends
// and forgets the slot by it, and a look at the records from another service's task prunes each by its
// own. A record from an older state file, which keeps none, is ended by defaults.crashloop.window.

const MIN = 60_000;

function taskWatch(service: string, task: string, window: string, clock: Clock, running = false): ContainerWatch {
  const labels = { 'healer.crashloop.restarts': '2', 'healer.crashloop.window': window };
  return inertWatch(taskContainer(`${service}.1.${task}`, task, { service, running }), labels, clock);
}

function slotsOn(path: string, clock: Clock, gone: string[]): { slots: TaskSlots; state: StateFile } {
  const state = new StateFile(path, pino({ level: 'silent' }));
  state.load();
  const slots = new TaskSlots({ state, clock, alerter: { emit: () => undefined, containerGone: (k) => void gone.push(k) }, history: NO_HISTORY, throttleMs: 60 * MIN, crashloops: 'node', defaultWindowMs: 10 * MIN });
  slots.start();
  return { slots, state };
}

describe('a slot record keeps its own crash-loop window', () => {
  it('is written to the state file with the record', async () => {
    const path = `${mkdtempSync(`${tmpdir()}/healer-slotwin-`)}/state.json`;
    const sim = new SimClock(1_000_000);
    const { slots, state } = slotsOn(path, sim.view(1), []);
    slots.failed(taskWatch('web', 't0', '30m', sim.view(1)), { kind: 'exit', exitCode: 3 });
    await state.flush();
    slots.stop();
    const file = JSON.parse(readFileSync(path, 'utf8')) as { slots: Record<string, { windowMs?: number }> };
    expect(file.slots['web.1']?.windowMs).toBe(30 * MIN);
  });

  it("another service's task prunes a slot by the slot's own window, not its own", async () => {
    const path = `${mkdtempSync(`${tmpdir()}/healer-slotwin-`)}/state.json`;
    const sim = new SimClock(1_000_000);
    const clock = sim.view(1);
    const { slots, state } = slotsOn(path, clock, []);
    slots.failed(taskWatch('web', 't0', '30m', clock), { kind: 'exit', exitCode: 3 });
    slots.failed(taskWatch('api', 'a0', '10m', clock), { kind: 'exit', exitCode: 3 });
    await sim.advance(11 * MIN, () => Promise.resolve());
    slots.found(taskWatch('api', 'a1', '10m', clock, true));
    expect(state.slot('web.1')?.failures).toHaveLength(1); // 11 minutes: still in its 30m window
    expect(state.slot('api.1')).toBeUndefined(); // out of its 10m window
    slots.stop();
  });

  it("an older state file's open slot alert (no window kept) is ended by defaults.crashloop.window", async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-slotwin-`);
    const sim = new SimClock(1_000_000);
    const slot = { failures: [{ task: 't0', at: 1_000_000, kind: 'exit', exitCode: 3 }], alertedAt: 1_000_000, alertedId: 'web.1@t0' };
    writeFileSync(`${dir}/state.json`, JSON.stringify({ version: 1, savedAt: 1_000_000, slots: { 'web.1': slot }, containers: {} }));
    const gone: string[] = [];
    const { slots, state } = slotsOn(`${dir}/state.json`, sim.view(1), gone);
    await sim.advance(9 * MIN, () => Promise.resolve());
    expect(gone).toEqual([]);
    await sim.advance(2 * MIN, () => Promise.resolve());
    expect(gone).toEqual(['web.1@t0']);
    expect(state.slot('web.1')).toBeUndefined();
    slots.stop();
  });
});
