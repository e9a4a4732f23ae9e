import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FREE, machineRules } from '../helpers/machine-rules.ts';
import { slowInspect } from '../model/restart-faults.ts';
import { runWatched, worldsPerTest } from '../model/worlds.ts';
import { initialState, step, type Action, type Context, type Input, type MachineState } from '../../src/watchdog/state-machine.ts';

// A restart is counted when it is decided, and taken back (uncountRestart) when it is not carried out:
// skipped (the container was paused, stopped or restarted by the engine meanwhile, or found running when
// a start was wanted) or requeued by the mass-failure breaker. README: a crash loop is "more than
// healer.crashloop.restarts restarts within healer.crashloop.window"; a restart that was never made is
// no restart. The `crashloop` alert was sent when the restart that would open the loop was decided, so a
// taken-back restart left a crashloop alert open (Alertmanager's HealerCrashLoop re-sent every minute)
// for a container not in a crash loop, which nothing resolved. The loop now opens, and is alerted, when
// the restart that makes it is carried out; a loop that is real is alerted all the same.

const rules = machineRules({ backoff: { initialMs: 1_000, maxMs: 60_000, resetMs: 600_000 }, crashloop: { restarts: 2, windowMs: 600_000, action: 'retry' } });
const want = { kind: 'restart', reason: '1 failed liveness probes in a row', cause: 'liveness' } as const;
const fail = (at: number): Input => ({ type: 'probe', role: 'liveness', ok: false, at });

/** Feeds inputs in order; every notification sent, by event. */
function feed(s: MachineState, inputs: readonly (readonly [Input, Context?])[]) {
  const events: string[] = [];
  const actions: Action[] = [];
  for (const [input, ctx] of inputs) {
    const out = step(s, input, rules, ctx ?? FREE);
    s = out.state;
    actions.push(...out.actions);
    for (const a of out.actions) if (a.type === 'notify') events.push(a.event);
  }
  return { state: s, events, actions };
}

/** Two restarts carried out (the limit): the next one carried out makes a crash loop. */
function atTheLimit(): MachineState {
  return feed(initialState({ running: true, startedAt: 0 }), [
    [fail(1_000)],
    [{ type: 'restart_done', ok: true, at: 1_100 }],
    [fail(3_000)],
    [{ type: 'restart_done', ok: true, at: 3_100 }],
  ]).state;
}

describe('a restart taken back', () => {
  it('skipped (the container changed meanwhile): no crashloop alert, and no crash loop', () => {
    const s = atTheLimit();
    expect(s.budget.restarts).toHaveLength(2);
    const { state, events, actions } = feed(s, [[fail(10_000)], [{ type: 'restart_done', ok: true, skipped: true, at: 10_100 }]]);
    expect(actions.map((a) => a.type)).toContain('restart');
    expect(events, 'alerts sent').not.toContain('crashloop');
    expect(state.budget).toMatchObject({ loop: 'closed', restarts: [1_000, 3_000] });
  });

  it('requeued by the mass-failure breaker: no crashloop alert while it waits; sent once the restart is made', () => {
    const s = atTheLimit();
    const held = feed(s, [[fail(10_000)], [{ type: 'requeued', want, at: 10_100 }, { heldBy: undefined, paused: true }]]);
    expect(held.events, 'alerts sent while the restart waits for the breaker').not.toContain('crashloop');
    expect(held.state.budget.loop).toBe('closed');
    // The breaker closes: the restart goes out, and is made: now it is a crash loop, alerted once.
    const made = feed(held.state, [[{ type: 'tick', at: 20_000 }], [{ type: 'restart_done', ok: true, at: 20_100 }]]);
    expect(made.actions.map((a) => a.type)).toContain('restart');
    expect(made.events).toEqual(['crashloop']);
    expect(made.state.budget.loop).toBe('open');
  });

  it('alerted all the same when the loop stays real without it (the engine restarted it meanwhile)', () => {
    const s = atTheLimit();
    const { state, events } = feed(s, [
      [fail(10_000)],
      // While healer's restart waits for its inspect, a resync counts restarts the engine made.
      [{ type: 'engine_restarts', count: 1, at: 10_050 }],
      [{ type: 'restart_done', ok: true, skipped: true, at: 10_100 }],
    ]);
    expect(events.filter((e) => e === 'crashloop')).toHaveLength(1);
    expect(state.budget.loop).toBe('open');
  });

  it("the engine's restart while healer's waits: the loop opens only with restarts made", () => {
    // One restart made, healer's second decided, the engine's own counted meanwhile: 2 made, the limit.
    const one = feed(initialState({ running: true, startedAt: 0 }), [[fail(1_000)], [{ type: 'restart_done', ok: true, at: 1_100 }]]).state;
    const waiting = feed(one, [[fail(10_000)], [{ type: 'engine_restarts', count: 1, at: 10_050 }]]);
    expect(waiting.events).not.toContain('crashloop');
    const skipped = feed(waiting.state, [[{ type: 'restart_done', ok: true, skipped: true, at: 10_100 }]]);
    expect(skipped.events).not.toContain('crashloop');
    expect(skipped.state.budget).toMatchObject({ loop: 'closed', restarts: [1_000, 10_050] });
    const made = feed(waiting.state, [[{ type: 'restart_done', ok: true, at: 10_100 }]]);
    expect(made.events).toEqual(['crashloop']);
    expect(made.state.budget.loop).toBe('open');
  });

  it('a restart carried out that makes the loop alerts once, before its `restarted`, as the loop opens', () => {
    const { state, events } = feed(atTheLimit(), [[fail(10_000)], [{ type: 'restart_done', ok: true, at: 10_100 }], [fail(80_000)], [{ type: 'restart_done', ok: true, at: 80_100 }]]);
    expect(events.filter((e) => e === 'crashloop')).toHaveLength(1);
    expect(state.budget.loop).toBe('open');
  });
});

const world = worldsPerTest();

describe('a restart skipped because the container was paused meanwhile, on the watchdog', () => {
  it('leaves no crashloop alert; the loop is alerted once the restart that makes it is carried out', async () => {
    const w = await world();
    // The actor's inspect before the restart is slow (a loaded engine): 500 ms.
    const slow = await slowInspect(w, 500);
    await w.startHealer();
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '1', 'healer.crashloop.restarts': '1' };
    const c = await runWatched(w, 'api', labels);
    const watch = () => w.wd.watches.get(c.id);
    // It fails: the first restart is made (the limit, 1).
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 50 && (watch()?.counts.restarts.liveness ?? 0) < 1; i++) await w.clock.advance(100, () => w.settle());
    expect(watch()?.counts.restarts.liveness, 'first restart made').toBe(1);
    // It fails again after the backoff: the second restart (the loop) is decided and waits for its inspect,
    // while the nightly backup pauses the container.
    slow.id = c.id;
    for (let i = 0; i < 100 && watch()?.state.inFlight !== true; i++) await w.clock.advance(100, () => w.settle());
    expect(watch()?.state.inFlight, 'second restart decided').toBe(true);
    w.engine.pause(c);
    await w.clock.advance(1_000, () => w.settle());
    slow.id = '';
    expect(watch()?.counts.restarts.liveness, 'second restart not made').toBe(1);
    expect(w.alerts.filter((a) => a.event === 'crashloop').map((a) => a.reason), 'crashloop alerts while it was never restarted twice').toEqual([]);
    expect(watch()?.state.budget.loop).toBe('closed');
    // Unpaused, still failing: the second restart is made, and that is the crash loop, alerted once.
    w.engine.unpause(c);
    for (let i = 0; i < 200 && (watch()?.counts.restarts.liveness ?? 0) < 2; i++) await w.clock.advance(100, () => w.settle());
    expect(watch()?.counts.restarts.liveness, 'second restart made').toBe(2);
    expect(w.alerts.filter((a) => a.event === 'crashloop')).toHaveLength(1);
    expect(watch()?.state.budget.loop).toBe('open');
  }, 30_000);
});

describe('a crash loop that opens as its restart is made', () => {
  it('is on disk at once: a healer killed just after finds it open (and does not alert it again)', async () => {
    const w = await world();
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '1', 'healer.crashloop.restarts': '1' };
    const c = await runWatched(w, 'api', labels);
    const watch = () => w.wd.watches.get(c.id);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 200 && watch()?.state.budget.loop !== 'open'; i++) await w.clock.advance(100, () => w.settle());
    expect(w.alerts.filter((a) => a.event === 'crashloop')).toHaveLength(1);
    await w.killHealer(); // SIGKILL at once: only writes already under way finish
    const saved = JSON.parse(readFileSync(w.state.path, 'utf8')) as { containers: Record<string, { budget: { loop: string } }> };
    expect(saved.containers[c.id]?.budget.loop).toBe('open');
  }, 30_000);
});
