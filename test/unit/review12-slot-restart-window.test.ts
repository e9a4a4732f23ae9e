import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { inertWatch, taskContainer } from '../helpers/inert-watch.ts';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { TaskSlots } from '../../src/watchdog/slot-watch.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { SimClock } from '../model/sim-clock.ts';

// Review 12. swarm.crashloops: node. After a healer restart, TaskSlots.start() (slot-watch.ts) takes up
// each open slot alert with `defaults.crashloop.window`, since the state file does not keep the slot's
// own window. When that timer fires, lookQuiet() runs forgetStep() with the DEFAULT window, which does
// not only end the alert (documented: "by defaults.crashloop.window until a task of the slot tells its
// own") but prunes the slot's failure history by it and, none being left, deletes the record. A service
// whose `healer.crashloop.window` is longer than the default (here 30m vs 10m) that fails less often than
// the default window (a slow loop: restart_policy.delay, a long start-up) loses its whole loop history on
// every healer restart: its next failed task counts as the first, its `died` alert goes out again
// although the slot is still in a crash loop by its own labels, and a new crashloop alert needs
// `crashloop.restarts` more failures. README: "The slot history is kept in the state file across
// healer's restarts"; "while it loops, the `died` alerts of its tasks are not sent". Without the restart
// the same slot is handled right (its open timer runs on the label's window), which the first test shows.

const LABELS = { 'healer.crashloop.restarts': '2', 'healer.crashloop.window': '30m' };
const MIN = 60_000;
const DEFAULT_WINDOW = 10 * MIN;
const THROTTLE = 60 * MIN;

function taskWatch(task: string, clock: Clock): ContainerWatch {
  return inertWatch(taskContainer(`web.1.${task}`, task), LABELS, clock);
}

const stateAt = (path: string): StateFile => {
  const s = new StateFile(path, pino({ level: 'silent' }));
  s.load();
  return s;
};

/** Three tasks of web.1 fail 5 s apart (a loop by restarts 2), then the slot goes slow. */
async function loop(slots: TaskSlots, sim: SimClock, clock: Clock): Promise<void> {
  for (const t of ['t0', 't1', 't2']) {
    await sim.advance(5000, () => Promise.resolve());
    slots.failed(taskWatch(t, clock), { kind: 'exit', exitCode: 3 });
  }
}

describe('review12: a healer restart keeps a slot loop whose own window is longer than defaults.crashloop.window', () => {
  it('without a restart: 11 minutes later the slot still loops by its 30m window (control)', async () => {
    const sim = new SimClock(1_000_000);
    const clock = sim.view(1);
    const state = stateAt(`${mkdtempSync(`${tmpdir()}/healer-r12-slot-`)}/state.json`);
    const emitted: AlertInput[] = [];
    const slots = new TaskSlots({ state, clock, alerter: { emit: (a) => emitted.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node', defaultWindowMs: DEFAULT_WINDOW });
    slots.start();
    await loop(slots, sim, clock);
    await sim.advance(11 * MIN, () => Promise.resolve());
    expect(slots.failed(taskWatch('t3', clock), { kind: 'exit', exitCode: 3 })).toBe(false); // no died alert: it loops
    expect(state.slot('web.1')?.failures).toHaveLength(4);
    slots.stop();
  });

  it('after a restart: 11 minutes later the slot still loops by its 30m window, its history kept', async () => {
    const path = `${mkdtempSync(`${tmpdir()}/healer-r12-slot-`)}/state.json`;
    const sim = new SimClock(1_000_000);
    const first = stateAt(path);
    const emitted: AlertInput[] = [];
    const before = new TaskSlots({ state: first, clock: sim.view(1), alerter: { emit: (a) => emitted.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node', defaultWindowMs: DEFAULT_WINDOW });
    before.start();
    await loop(before, sim, sim.view(1));
    expect(emitted.map((a) => a.key)).toEqual(['web.1@t2']);
    await first.flush();
    before.stop();
    sim.kill(1); // healer restarts on the same state file
    const clock = sim.view(2);
    const state = stateAt(path);
    const after = new TaskSlots({ state, clock, alerter: { emit: (a) => emitted.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node', defaultWindowMs: DEFAULT_WINDOW });
    after.start();
    await sim.advance(11 * MIN, () => Promise.resolve());
    expect(state.slot('web.1')?.failures.length ?? 'slot forgotten').toBe(3);
    expect(after.failed(taskWatch('t3', clock), { kind: 'exit', exitCode: 3 })).toBe(false);
    after.stop();
  });
});
