import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/engine.ts';
import { inertWatch, taskContainer } from '../helpers/inert-watch.ts';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import { SEVERITY, type Alert, type Notifier } from '../../src/alerting/types.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { TaskSlots } from '../../src/watchdog/slot-watch.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { receiver } from '../helpers/receiver.ts';
import { SimClock } from '../model/sim-clock.ts';

// swarm.crashloops: node (healer's default). A replicated slot's `crashloop` alert used to be known by
// the id of the task container it names. Swarm removes that container as task history about 30 s into
// a loop (task-history-limit 5, restart_policy.delay 5s), the watchdog ends a removed container's alerts
// (alerter.containerGone), so Alertmanager showed the loop resolved while it went on, and nothing fired
// it again before alerts.throttle.window. Now it has its own key (`<slot>@<task id>`, as cluster mode's
// `cluster:<slot>@<task id>`) and is ended only when the slot is quiet for its window, or when a later
// alert about the slot names another task.

const LABELS = { 'healer.crashloop.restarts': '2', 'healer.crashloop.window': '1m' };
const WINDOW = 60_000;
const THROTTLE = 120_000;

/** A watch of task `task` of slot web.1 on node `node` (nothing is probed). */
function taskWatch(task: string, clock: Clock, node = 'n1'): ContainerWatch {
  return inertWatch(taskContainer(`web.1.${task}`, task, { node }), LABELS, clock);
}


/** What Alerter does with one channel, without its queue: emit builds and sends, containerGone forgets. */
function channelAlerter(channel: Notifier, host: string) {
  const sent: Promise<void>[] = [];
  return {
    sent,
    emit: (a: AlertInput) => {
      const { channels: _c, taskId: _t, ...rest } = a;
      const alert: Alert = { ...rest, severity: SEVERITY[a.event], host, at: new Date().toISOString() };
      sent.push(channel.send(alert, AbortSignal.timeout(2000)));
    },
    containerGone: (id: string) => channel.forget?.(id),
  };
}

type AmPost = { labels: Record<string, string>; endsAt?: string };

describe('swarm.crashloops: node: a slot crashloop alert lives as long as the loop, not as its task container', () => {
  const dispatcher = new Agent();
  afterAll(() => dispatcher.close());
  const settle = () => sleep(5);

  it('stays open in Alertmanager after Swarm removes the task container it names while the slot loops on, and ends once the slot is quiet for its window', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    try {
      const sim = new SimClock(1_000_000);
      const clock = sim.view(1);
      const state = new StateFile(`${mkdtempSync(`${tmpdir()}/healer-node-slot-`)}/state.json`, pino({ level: 'silent' }));
      state.load();
      const alerter = channelAlerter(am, 'node-a');
      const slots = new TaskSlots({ state, clock, alerter, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node' });
      const fail = async (task: string) => {
        await sim.advance(5000, settle);
        slots.failed(taskWatch(task, clock), { kind: 'exit', exitCode: 3 });
        await Promise.all(alerter.sent);
      };
      for (const t of ['t0', 't1', 't2']) await fail(t);
      const posts = (): AmPost[] => r.got.flatMap((g) => g.body as AmPost[]).filter((a) => a.labels.alertname === 'HealerCrashLoop');
      // Distinct posts: the channel re-sends an open alert every 100 ms here, and a loaded machine may
      // fit a re-send in before this line; the same alert again is no new one.
      expect([...new Set(posts().map((a) => JSON.stringify([a.labels.container, a.endsAt ?? null])))]).toEqual([JSON.stringify(['web.1.t2', null])]);
      // The loop goes on; Swarm removes t2's container (task history), and the watchdog, which watched
      // it, releases it as removed: alerter.containerGone('c-t2').
      await fail('t3');
      alerter.containerGone('c-t2');
      for (const t of ['t4', 't5', 't6']) await fail(t);
      // Three of the channel's re-sends (every 100 ms here), counted as they arrive rather than assumed
      // from a fixed sleep (a loaded machine fires the interval late).
      const seen = posts().length;
      await waitFor("three of the channel's re-sends", () => posts().length >= seen + 3, 10_000);
      expect(posts().filter((a) => a.endsAt !== undefined)).toEqual([]);
      expect(posts().at(-1)?.labels.container).toBe('web.1.t2');
      // The slot is quiet: once its last failure has left the window, the alert is ended, and the slot forgotten.
      await sim.advance(WINDOW - 1000, settle);
      expect(posts().filter((a) => a.endsAt !== undefined)).toEqual([]);
      await sim.advance(1000, settle);
      // The resolve is posted as the slot is forgotten; wait for it to arrive (not a fixed 50 ms).
      await waitFor('the resolve to arrive', () => posts().some((a) => a.endsAt !== undefined), 10_000);
      // A resolve still in flight at the next 100 ms tick is re-sent (until Alertmanager takes it): the same one.
      expect([...new Set(posts().filter((a) => a.endsAt !== undefined).map((a) => a.labels.container))]).toEqual(['web.1.t2']);
      expect(state.slotKeys()).toEqual([]);
    } finally {
      am.close?.();
      await r.close();
    }
  });

  it('a later alert about the slot (after the throttle window) names another task and ends the one before', async () => {
    const sim = new SimClock(1_000_000);
    const clock = sim.view(1);
    const state = new StateFile(`${mkdtempSync(`${tmpdir()}/healer-node-slot-`)}/state.json`, pino({ level: 'silent' }));
    state.load();
    const emitted: AlertInput[] = [];
    const gone: string[] = [];
    const slots = new TaskSlots({ state, clock, alerter: { emit: (a) => emitted.push(a), containerGone: (id) => gone.push(id) }, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node' });
    for (let i = 0; i < 40; i++) {
      await sim.advance(5000, () => Promise.resolve());
      slots.failed(taskWatch(`t${i}`, clock), { kind: 'exit', exitCode: 3 });
    }
    expect(emitted.map((a) => [a.container?.id, a.key])).toEqual([
      ['c-t2', 'web.1@t2'],
      ['c-t26', 'web.1@t26'],
    ]);
    expect(gone).toEqual(['web.1@t2']);
    expect(state.slot('web.1')?.alertedId).toBe('web.1@t26');
  });

  it('an open slot alert survives a healer restart (state file) and is ended when the slot is quiet', async () => {
    const path = `${mkdtempSync(`${tmpdir()}/healer-node-slot-`)}/state.json`;
    const sim = new SimClock(1_000_000);
    const first = new StateFile(path, pino({ level: 'silent' }));
    first.load();
    const emitted: AlertInput[] = [];
    const before = new TaskSlots({ state: first, clock: sim.view(1), alerter: { emit: (a) => emitted.push(a), containerGone: () => undefined }, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node' });
    for (const t of ['t0', 't1', 't2']) {
      await sim.advance(5000, () => Promise.resolve());
      before.failed(taskWatch(t, sim.view(1)), { kind: 'exit', exitCode: 3 });
    }
    expect(emitted.map((a) => a.key)).toEqual(['web.1@t2']);
    await first.flush();
    sim.kill(1); // healer stops; a new one starts on the same state file
    const clock = sim.view(2);
    const state = new StateFile(path, pino({ level: 'silent' }));
    state.load();
    const gone: string[] = [];
    const after = new TaskSlots({ state, clock, alerter: { emit: (a) => emitted.push(a), containerGone: (id) => gone.push(id) }, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node', defaultWindowMs: WINDOW });
    after.start();
    // Still looping after the restart: one more task fails; the throttle (kept in the file) holds a new alert back.
    await sim.advance(5000, () => Promise.resolve());
    after.failed(taskWatch('t3', clock), { kind: 'exit', exitCode: 3 });
    await sim.advance(WINDOW - 1000, () => Promise.resolve());
    expect(gone).toEqual([]);
    await sim.advance(1000, () => Promise.resolve());
    expect(gone).toEqual(['web.1@t2']);
    expect(emitted).toHaveLength(1);
    expect(state.slotKeys()).toEqual([]);
    after.stop();
  });

  it('two healers (node mode) alerting their own share of one slot: each alert has its own key, and one node quieting ends only its own', async () => {
    const sim = new SimClock(1_000_000);
    const nodes = ['n1', 'n2'].map((node) => {
      const state = new StateFile(`${mkdtempSync(`${tmpdir()}/healer-node-slot-`)}/state.json`, pino({ level: 'silent' }));
      state.load();
      const out = { node, emitted: [] as AlertInput[], gone: [] as string[] };
      const slots = new TaskSlots({ state, clock: sim.view(1), alerter: { emit: (a) => out.emitted.push(a), containerGone: (id) => out.gone.push(id) }, history: NO_HISTORY, throttleMs: THROTTLE, crashloops: 'node' });
      return { ...out, slots };
    });
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    for (let i = 0; i < 3; i++) {
      await sim.advance(5000, () => Promise.resolve());
      a.slots.failed(taskWatch(`a${i}`, sim.view(1), 'n1'), { kind: 'exit', exitCode: 3 });
      b.slots.failed(taskWatch(`b${i}`, sim.view(1), 'n2'), { kind: 'exit', exitCode: 3 });
    }
    // Swarm now places the slot's tasks on n2 only: n1 goes quiet, n2 loops on.
    for (let i = 3; i < 16; i++) {
      await sim.advance(5000, () => Promise.resolve());
      b.slots.failed(taskWatch(`b${i}`, sim.view(1), 'n2'), { kind: 'exit', exitCode: 3 });
    }
    expect([a.emitted.map((x) => x.key), b.emitted.map((x) => x.key)]).toEqual([['web.1@a2'], ['web.1@b2']]);
    expect([a.gone, b.gone]).toEqual([['web.1@a2'], []]);
  });
});
