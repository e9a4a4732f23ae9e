import { describe, expect, it } from 'vitest';
import { FREE, machineRules } from '../helpers/machine-rules.ts';
import { initialState, resumeExited, step, type Action, type Context, type Input, type MachineState, type Rules } from '../../src/watchdog/state-machine.ts';

const rules = (over: Partial<Rules> = {}): Rules =>
  machineRules({ liveness: { failures: 3, successes: 1, startPeriodMs: 0 }, readiness: { failures: 2, successes: 2, startPeriodMs: 0 }, ...over });

const free = FREE;

/** Feeds inputs in order; returns the final state and every action with the time of its input. */
function run(inputs: Input[], r: Rules = rules(), start: MachineState = initialState({ running: true, startedAt: 0 }), ctx: (i: number) => Context = () => free) {
  let state = start;
  const actions: (Action & { inputAt: number })[] = [];
  for (const [i, input] of inputs.entries()) {
    const out = step(state, input, r, ctx(i));
    state = out.state;
    // The budget-reset wake is bookkeeping, tested on its own below.
    actions.push(...out.actions.filter((a) => !(a.type === 'wake' && a.purpose === 'reset')).map((a) => ({ ...a, inputAt: input.at })));
  }
  return { state, actions, types: actions.map((a) => (a.type === 'notify' ? a.event : a.type)) };
}

const fail = (at: number, role: 'liveness' | 'readiness' = 'liveness'): Input => ({ type: 'probe', role, ok: false, at });
const pass = (at: number, role: 'liveness' | 'readiness' = 'liveness'): Input => ({ type: 'probe', role, ok: true, at });

describe('liveness', () => {
  it('restarts exactly once when failures in a row reach the threshold', () => {
    const { types, actions, state } = run([fail(10), fail(20), fail(30), fail(40)]);
    expect(types).toEqual(['unhealthy', 'restart']);
    expect(actions[1]?.inputAt).toBe(30);
    expect(state).toMatchObject({ lifecycle: 'restarting', inFlight: true });
  });

  it('forgets the failures of probes sent to an address that is no longer the container\'s (networks changed)', () => {
    // Two failures at the old address, then the move: a third failure is the first of a new run.
    expect(run([fail(1), fail(2), { type: 'rerouted', at: 3 }, fail(4)]).types).toEqual([]);
    expect(run([fail(1), fail(2), fail(4)]).types).toEqual(['unhealthy', 'restart']);
    // A probe restart held back by its backoff is dropped with them; a move during healer's own action changes nothing.
    const held = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, at: 4 }, fail(5), fail(6), fail(7)]);
    expect(held.state.pending?.cause).toBe('liveness');
    expect(step(held.state, { type: 'rerouted', at: 8 }, rules(), free).state.pending).toBeUndefined();
    const inFlight = run([fail(1), fail(2), fail(3)]).state;
    expect(step(inFlight, { type: 'rerouted', at: 4 }, rules(), free).state).toBe(inFlight);
  });

  it('does not act on failures that are not in a row', () => {
    expect(run([fail(10), fail(20), pass(30), fail(40), fail(50)]).types).toEqual([]);
  });

  it('ignores probe results while a restart is in flight', () => {
    expect(run([fail(1), fail(2), fail(3), fail(4), fail(5), fail(6)]).types).toEqual(['unhealthy', 'restart']);
  });

  it('reports recovery with the time from the first failed probe', () => {
    const { actions } = run([fail(1000), fail(2000), fail(3000), { type: 'restart_done', ok: true, at: 3500 }, { type: 'started', at: 3500 }, pass(4200)]);
    expect(actions.map((a) => a.type === 'notify' && a.event)).toEqual(['unhealthy', false, 'recovered']);
    expect(actions[2]).toMatchObject({ event: 'recovered', recoveryMs: 3200 });
  });

  it('needs `successes` passes in a row to count as recovered', () => {
    const r = rules({ liveness: { failures: 2, successes: 3, startPeriodMs: 0 } });
    const { types } = run([fail(1), fail(2), { type: 'restart_done', ok: true, at: 2 }, pass(3), pass(4), fail(5), pass(6), pass(7), pass(8)], r);
    expect(types).toEqual(['unhealthy', 'restart', 'recovered']);
  });

  it('restarts again when the container keeps failing after a restart, after the backoff, without a second unhealthy alert', () => {
    const { types, actions } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, at: 4 }, fail(5), fail(6), fail(7), { type: 'tick', at: 10_003 }]);
    expect(types).toEqual(['unhealthy', 'restart', 'wake', 'restart']);
    expect(actions[2]).toMatchObject({ type: 'wake', at: 10_003 });
  });

  // Review 11: a restart the actor skipped (the container was paused meanwhile) never happened.
  it('takes back a restart the actor skipped: the next one is not backed off, none is in the window', () => {
    const { types, state } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, skipped: true, at: 4 }, fail(5), fail(6), fail(7)]);
    expect(types).toEqual(['unhealthy', 'restart', 'restart']);
    expect(state.budget).toMatchObject({ restarts: [7], level: 1, lastRestartAt: 7 });
    const skipped = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, skipped: true, at: 4 }]).state;
    expect(skipped).toMatchObject({ lifecycle: 'running', inFlight: false, budget: { restarts: [], level: 0, lastRestartAt: undefined } });
  });

  it('does not count failures during the start period after a start', () => {
    const r = rules({ liveness: { failures: 2, successes: 1, startPeriodMs: 5000 } });
    const start = initialState({ running: true, startedAt: 0 });
    expect(run([fail(1000), fail(2000), fail(4999), fail(5000)], r, start).types).toEqual([]);
    expect(run([fail(1000), fail(5000), fail(6000)], r, start).types).toEqual(['unhealthy', 'restart']);
    // and again after the next start
    expect(run([{ type: 'started', at: 10_000 }, fail(11_000), fail(12_000), fail(15_000), fail(16_000)], r, start).types).toEqual(['unhealthy', 'restart']);
  });

  it('alerts restart_failed and counts afresh when the engine refuses the restart', () => {
    const { types, state } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: false, error: 'HTTP 403', at: 4 }, fail(5), fail(6), fail(7), { type: 'tick', at: 20_000 }]);
    expect(types).toEqual(['unhealthy', 'restart', 'restart_failed', 'wake', 'restart']);
    expect(state.inFlight).toBe(true);
  });
});

describe('operator stops and exits', () => {
  it('never acts on a container an operator stopped, and resumes when it is started again', () => {
    const { types, state } = run([fail(1), fail(2), { type: 'stopped', by: 'operator', at: 3 }, fail(4), fail(5), fail(6)]);
    expect(types).toEqual([]);
    expect(state.lifecycle).toBe('stopped');
    const resumed = run([{ type: 'stopped', by: 'operator', at: 3 }, { type: 'started', at: 10 }, fail(11), fail(12), fail(13)]);
    expect(resumed.types).toEqual(['unhealthy', 'restart']);
  });

  it('treats the stop and die of its own restart as part of the restart', () => {
    const { state } = run([fail(1), fail(2), fail(3), { type: 'stopped', by: 'exit', exitCode: 0, oom: false, at: 4 }, { type: 'stopped', by: 'operator', at: 4 }, { type: 'restart_done', ok: true, at: 5 }]);
    expect(state.lifecycle).toBe('running');
  });

  it('keeps the last exit known once the container runs again (status shows why it last went down)', () => {
    const { state, types } = run([{ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 1 }, { type: 'started', at: 2 }, pass(3)]);
    expect(state.lifecycle).toBe('running');
    expect(state.lastExit).toEqual({ at: 1, exitCode: 3, oom: false });
    expect(types).toEqual(['died']); // acting on an exit still needs `lifecycle: exited`
  });

  it('never acts on an exited container', () => {
    expect(run([{ type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: 1 }, fail(2), fail(3), fail(4), { type: 'health', status: 'unhealthy', at: 5 }]).types).toEqual(['died']);
  });
});

describe('docker HEALTHCHECK', () => {
  it('acts at once on an unhealthy status and recovers on healthy', () => {
    const { actions } = run([{ type: 'health', status: 'starting', at: 1 }, { type: 'health', status: 'unhealthy', at: 100 }, { type: 'restart_done', ok: true, at: 200 }, { type: 'health', status: 'healthy', at: 900 }]);
    expect(actions.map((a) => (a.type === 'notify' ? a.event : a.type))).toEqual(['unhealthy', 'restart', 'recovered']);
    expect(actions[1]).toMatchObject({ inputAt: 100, reason: 'docker HEALTHCHECK reports unhealthy' });
    expect(actions[2]).toMatchObject({ recoveryMs: 800 });
  });
});

describe('actions other than restart', () => {
  it('action=notify alerts once per episode and never restarts', () => {
    const { types } = run([fail(1), fail(2), fail(3), fail(4), fail(5), fail(6), pass(7), fail(8), fail(9), fail(10)], rules({ action: 'notify' }));
    expect(types).toEqual(['unhealthy', 'recovered', 'unhealthy']);
  });

  it('dry-run withholds the restart once per failure episode, and never restarts', () => {
    const { actions, types } = run([fail(1), fail(2), fail(3), fail(4), fail(5), fail(6), pass(7), fail(8), fail(9), fail(10)], rules({ dryRun: true }));
    expect(types).toEqual(['unhealthy', 'withheld', 'recovered', 'unhealthy', 'withheld']);
    expect(actions[1]).toMatchObject({ would: 'restart', why: 'dry-run' });
  });

  it('action=stop quarantines', () => {
    const { types, state } = run([fail(1), fail(2), fail(3)], rules({ action: 'stop' }));
    expect(types).toEqual(['unhealthy', 'stop']);
    expect(state.inFlight).toBe(false);
  });
});

describe('readiness', () => {
  it('reports not_ready and ready, never acting', () => {
    const { types } = run([pass(1, 'readiness'), pass(2, 'readiness'), fail(3, 'readiness'), fail(4, 'readiness'), fail(5, 'readiness'), pass(6, 'readiness'), pass(7, 'readiness')]);
    expect(types).toEqual(['not_ready', 'ready']);
  });

  it('does not announce ready at start-up, only after not_ready', () => {
    expect(run([pass(1, 'readiness'), pass(2, 'readiness'), pass(3, 'readiness')]).types).toEqual([]);
  });

  it('is ignored when the container has no readiness probe', () => {
    expect(run([fail(1, 'readiness'), fail(2, 'readiness'), fail(3, 'readiness')], rules({ readiness: undefined })).types).toEqual([]);
  });
});

/** Restart history as a list of actions: a container failing over and over, restarts done at once. */
function failLoop(times: number, r: Rules, gapMs = 1000): { types: string[]; restarts: number[]; state: MachineState } {
  let state = initialState({ running: true, startedAt: 0 });
  const types: string[] = [];
  const restarts: number[] = [];
  let at = 1000;
  for (let i = 0; i < times; i++) {
    const out = step(state, { type: 'health', status: 'unhealthy', at }, r);
    state = out.state;
    for (const a of out.actions) {
      types.push(a.type === 'notify' ? a.event : a.type);
      if (a.type === 'restart') restarts.push(at);
      if (a.type === 'wake') {
        at = a.at; // the loop wakes the machine at the time it asked for
        const woken = step(state, { type: 'tick', at }, r);
        state = woken.state;
        for (const b of woken.actions) {
          types.push(b.type === 'notify' ? b.event : b.type);
          if (b.type === 'restart') restarts.push(at);
        }
      }
    }
    const done = step(state, { type: 'restart_done', ok: true, at }, r);
    state = done.state;
    for (const a of done.actions) if (a.type === 'notify') types.push(a.event);
    at += gapMs;
    state = step(state, { type: 'health', status: 'healthy', at }, r).state; // flaps: healthy briefly
    at += gapMs;
  }
  return { types, restarts, state };
}

describe('backoff', () => {
  const r = rules({ crashloop: { restarts: 100, windowMs: 3_600_000, action: 'retry' } });
  it('waits nothing before the first restart, then initial, doubling, capped at max', () => {
    const { restarts } = failLoop(9, r);
    const gaps = restarts.slice(1).map((t, i) => t - (restarts[i] ?? 0));
    expect(gaps).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('issues no restart before the backoff has passed, whatever the probes say', () => {
    const { types, actions } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, at: 3 }, fail(4), fail(5), fail(6), fail(7), fail(8), fail(9), { type: 'tick', at: 9_000 }]);
    expect(types.slice(0, 3)).toEqual(['unhealthy', 'restart', 'wake']);
    // every later failure, and the early tick, only ask again to be woken at the same time (the loop keeps one timer)
    expect(actions.slice(2).map((a) => (a.type === 'wake' ? a.at : a.type))).toEqual([10_003, 10_003, 10_003, 10_003, 10_003]);
  });

  it('drops the pending restart when the container recovers before the backoff ends', () => {
    const { types, state } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, at: 3 }, fail(4), fail(5), fail(6), pass(7), { type: 'tick', at: 10_003 }]);
    expect(types).toEqual(['unhealthy', 'restart', 'wake', 'recovered']);
    expect(state.pending).toBeUndefined();
  });

  it('resets after `reset` healthy without a break, but not after a shorter healthy spell', () => {
    const start = initialState({ running: true, startedAt: 0, budget: { restarts: [0], level: 3, lastRestartAt: 0, loop: 'closed', healthySince: undefined } });
    const short = run([pass(1000), pass(500_000), fail(500_001), fail(500_002), fail(500_003)], r, start);
    expect(short.state.budget.level).toBe(4);
    const long = run([pass(1000), pass(601_000), fail(601_001), fail(601_002), fail(601_003)], r, start);
    expect(long.types).toEqual(['unhealthy', 'restart']);
    expect(long.state.budget.level).toBe(1);
    expect(long.state.budget.restarts).toEqual([601_003]); // a reset clears backoff and the restarts counted towards a loop
  });
});

describe('crash loops', () => {
  it('opens after more than `restarts` restarts in the window, alerts once, then retries at max backoff', () => {
    const { types, restarts, state } = failLoop(8, rules({ crashloop: { restarts: 3, windowMs: 3_600_000, action: 'retry' } }));
    expect(types.filter((t) => t === 'crashloop')).toHaveLength(1);
    const restartIndexes = types.flatMap((t, i) => (t === 'restart' ? [i] : []));
    expect(types.indexOf('crashloop')).toBe((restartIndexes[3] ?? NaN) + 1); // alerted as the 4th restart is made
    expect(restarts).toHaveLength(8);
    const gaps = restarts.slice(1).map((t, i) => t - (restarts[i] ?? 0));
    expect(gaps.slice(3)).toEqual([300_000, 300_000, 300_000, 300_000]); // the 4th restart opened the loop
    expect(state.budget.loop).toBe('open');
  });

  it('is tripped by a container that flaps (healthy briefly between failures)', () => {
    // failLoop reports healthy between every failure: history must survive it
    const { state } = failLoop(6, rules({ backoff: { initialMs: 1, maxMs: 1, resetMs: 600_000 } }));
    expect(state.budget.loop).toBe('open');
  });

  it('gives up with action=giveup: alerts, and never restarts again', () => {
    const { types, restarts, state } = failLoop(8, rules({ crashloop: { restarts: 3, windowMs: 3_600_000, action: 'giveup' } }));
    expect(restarts).toHaveLength(3);
    expect(types.filter((t) => t === 'crashloop')).toHaveLength(1);
    expect(state.budget.loop).toBe('gave_up');
  });

  it('leaves a gave-up loop when an operator starts the container again', () => {
    const gaveUp = initialState({ running: true, startedAt: 0, budget: { restarts: [1, 2, 3, 4], level: 4, lastRestartAt: 4, loop: 'gave_up', healthySince: undefined } });
    const { state } = run([{ type: 'stopped', by: 'operator', at: 10 }, { type: 'started', at: 20 }], rules(), gaveUp);
    expect(state.budget.loop).toBe('open');
  });

  it('counts the engine restart policy: die then start', () => {
    const r = rules({ crashloop: { restarts: 2, windowMs: 60_000, action: 'retry' }, engineRestarts: true, restartOnExit: true });
    const inputs: Input[] = [];
    for (let t = 1; t <= 3; t++) inputs.push({ type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: t * 1000 }, { type: 'started', at: t * 1000 + 100 });
    const { types, state } = run(inputs, r);
    expect(types).toEqual(['died', 'died', 'died', 'crashloop']); // the engine restarts it: healer only counts
    expect(state.budget.restarts).toHaveLength(3);
  });

  it('counts restarts the engine did while healer was not looking', () => {
    const { types, state } = run([{ type: 'engine_restarts', count: 6, at: 5 }]);
    expect(types).toEqual(['crashloop']);
    expect(state.budget.restarts).toHaveLength(6);
  });

  it('does not count again the restart-policy start whose RestartCount growth a resync counted', () => {
    const r = rules({ engineRestarts: true });
    const died: Input = { type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 1 };
    const { state } = run([died, { type: 'engine_restarts', count: 1, at: 5 }, { type: 'started', at: 5, counted: true }], r);
    expect(state.budget.restarts).toEqual([5]);
    expect(state.lifecycle).toBe('running');
  });
});

describe('exits', () => {
  const onExit = rules({ restartOnExit: true });
  it('starts a container that died with a non-zero code, with the same backoff', () => {
    const { types, actions } = run([{ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 10 }, { type: 'restart_done', ok: true, at: 20 }, { type: 'started', at: 20 }, { type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 30 }], onExit);
    expect(types).toEqual(['died', 'start', 'died', 'wake']);
    expect(actions[0]).toMatchObject({ exitCode: 3, oom: false, reason: 'exited with code 3' });
    expect(actions[3]).toMatchObject({ type: 'wake', at: 10_010 }); // 10 s after the first start
  });

  it('starts an OOM-killed container and says so', () => {
    const { actions } = run([{ type: 'stopped', by: 'exit', exitCode: 137, oom: true, at: 10 }], onExit);
    expect(actions.map((a) => a.type)).toEqual(['notify', 'start']);
    expect(actions[0]).toMatchObject({ event: 'died', oom: true, reason: 'killed by the kernel (out of memory)' });
  });

  it('leaves clean exits, operator stops, and containers without on_exit alone', () => {
    expect(run([{ type: 'stopped', by: 'exit', exitCode: 0, oom: false, at: 1 }], onExit).types).toEqual(['died']);
    expect(run([{ type: 'stopped', by: 'operator', at: 1 }], onExit).types).toEqual([]);
    expect(run([{ type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: 1 }]).types).toEqual(['died']);
  });

  it('resumes the on-exit decision after healer itself restarted, within the kept backoff', () => {
    const s = initialState({ running: false, startedAt: 0, budget: { restarts: [1000, 2000], level: 2, lastRestartAt: 2000, loop: 'closed', healthySince: undefined }, lastExit: { at: 2500, exitCode: 1, oom: false } });
    expect(resumeExited(s, 5000, onExit).actions).toEqual([{ type: 'wake', at: 22_000, reason: 'exited with code 1', purpose: 'backoff' }]);
    expect(resumeExited(s, 22_000, onExit).actions).toEqual([{ type: 'start', reason: 'exited with code 1', cause: 'exit' }]);
    expect(resumeExited({ ...s, lastExit: undefined }, 22_000, onExit).actions).toEqual([]);
  });

  // Review 11: the start owed after healer's restart stopped the container and its start was refused is
  // kept (and persisted) until the container runs again, and resumed by a healer restarted meanwhile.
  it('owes a start after a restart whose start half was refused, with or without on_exit, until it runs', () => {
    const refused: Input = { type: 'restart_done', ok: false, error: 'port is already allocated', retry: { kind: 'start', reason: '3 failed liveness probes in a row', cause: 'liveness' }, at: 4 };
    const { state } = run([fail(1), fail(2), fail(3), refused]);
    expect(state).toMatchObject({ lifecycle: 'exited', owedStart: { kind: 'start', cause: 'liveness' } });
    expect(step(state, { type: 'started', at: 5 }, rules()).state.owedStart).toBeUndefined();
    expect(step(state, { type: 'stopped', by: 'operator', at: 5 }, rules()).state.owedStart).toBeUndefined();
    const resumed = initialState({ running: false, startedAt: 0, owedStart: { kind: 'start', reason: 'r', cause: 'liveness' } });
    expect(resumeExited(resumed, 10, rules()).actions).toEqual([{ type: 'start', reason: 'r', cause: 'liveness' }]);
  });
});

describe('dependencies and the breaker', () => {
  it('holds a dependent while its dependency fails, naming it once, and restarts it when the dependency recovers', () => {
    const held: Context = { heldBy: 'db', paused: false };
    const { types, actions, state } = run([fail(1), fail(2), fail(3), fail(4), { type: 'tick', at: 5 }, { type: 'tick', at: 6 }], rules(), undefined, (i) => (i < 5 ? held : free));
    expect(types).toEqual(['unhealthy', 'held', 'restart']);
    expect(actions[1]).toMatchObject({ reason: 'dependency db is failing; not restarting until it recovers' });
    expect(state.heldBy).toBeUndefined();
  });

  it('pauses every restart while the breaker is open, then restarts once it closes', () => {
    const paused: Context = { heldBy: undefined, paused: true };
    const { types, actions } = run([fail(1), fail(2), fail(3), { type: 'tick', at: 4 }, { type: 'tick', at: 5 }], rules(), undefined, (i) => (i < 4 ? paused : free));
    expect(types).toEqual(['unhealthy', 'restart']);
    expect(actions[1]?.inputAt).toBe(5);
  });

  it('never restarts with dry-run or action=notify, whatever else happens', () => {
    for (const r of [rules({ dryRun: true, restartOnExit: true }), rules({ action: 'notify', restartOnExit: true })]) {
      const { types } = run([fail(1), fail(2), fail(3), { type: 'tick', at: 100_000 }, { type: 'health', status: 'unhealthy', at: 100_001 }, { type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: 100_002 }, { type: 'tick', at: 200_000 }], r);
      expect(types).not.toContain('restart');
      expect(types).not.toContain('start');
    }
  });

  it('restarts a namespace child on request, within its own rules', () => {
    expect(run([{ type: 'restart_requested', reason: 'owner restarted', at: 1 }]).types).toEqual(['restart']);
    expect(run([{ type: 'restart_requested', reason: 'owner restarted', at: 1 }], rules({ action: 'notify' })).types).toEqual([]);
  });
});

// Regressions for issue 13: each of these failed before its fix.
describe('trust: what an operator does, and what follows every kind of restart', () => {
  const onExit = rules({ restartOnExit: true });
  const noProbe = rules({ liveness: undefined, readiness: undefined, restartOnExit: true });

  it('never acts on a paused container, however long its probes fail, and judges afresh after unpause', () => {
    const { types, state } = run([fail(1), { type: 'paused', at: 2 }, fail(3), fail(4), fail(5), fail(6), { type: 'tick', at: 100_000 }]);
    expect(types).toEqual([]);
    expect(state.lifecycle).toBe('paused');
    const after = run([fail(1), fail(2), { type: 'paused', at: 3 }, { type: 'unpaused', at: 10 }, fail(11), fail(12)]);
    expect(after.types).toEqual([]); // two failures before the pause do not count with the ones after it
    expect(after.state.liveness.failures).toBe(2);
  });

  it('drops a restart that waits for its backoff when the container is paused', () => {
    const { types } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, at: 4 }, fail(5), fail(6), fail(7), { type: 'paused', at: 8 }, { type: 'tick', at: 10_004 }]);
    expect(types).toEqual(['unhealthy', 'restart', 'wake']);
  });

  it('resets backoff after `reset` healthy following an on-exit start (liveness probe, up before and after the crash)', () => {
    const r = rules({ restartOnExit: true, crashloop: { restarts: 5, windowMs: 600_000, action: 'retry' } });
    let state = run([pass(1)], r).state;
    for (let i = 0; i < 3; i++) {
      const at = 10 + i * 700_000;
      state = run([{ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at }, { type: 'restart_done', ok: true, at: at + 1 }, pass(at + 2)], r, state).state;
    }
    // Three crashes, each followed by more than `reset` (600 s) of passing probes: each starts afresh.
    const late = run([pass(3 * 700_000)], r, state).state;
    expect(late.budget.level).toBe(0);
  });

  it('asks to be woken when the budget is due to reset, and resets then, even with no probe at all', () => {
    const giveup = rules({ liveness: undefined, readiness: undefined, restartOnExit: true, crashloop: { restarts: 1, windowMs: 600_000, action: 'giveup' } });
    const crash = (at: number): Input => ({ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at });
    let state = initialState({ running: true, startedAt: 0 });
    const wakes: number[] = [];
    const feed = (input: Input) => {
      const out = step(state, input, giveup);
      state = out.state;
      for (const a of out.actions) if (a.type === 'wake' && a.purpose === 'reset') wakes.push(a.at);
      return out.actions;
    };
    feed(crash(10));
    feed({ type: 'restart_done', ok: true, at: 20 });
    expect(wakes).toEqual([20 + 600_000]);
    feed(crash(30));
    feed({ type: 'tick', at: 20_030 }); // backoff over: second restart is over the limit -> gave up
    expect(state.budget.loop).toBe('gave_up');
    feed({ type: 'started', at: 50_000 }); // an operator starts it
    feed({ type: 'tick', at: 50_000 + 600_000 });
    expect(state.budget).toMatchObject({ level: 0, loop: 'closed' });
  });

  it('retries a failed restart after the backoff when nothing else will ask again (Docker HEALTHCHECK)', () => {
    const retry = { kind: 'restart' as const, reason: 'docker HEALTHCHECK reports unhealthy', cause: 'liveness' as const };
    const { types, actions } = run([
      { type: 'health', status: 'unhealthy', at: 100 },
      { type: 'restart_done', ok: false, error: 'HTTP 500', retry, at: 200 },
      { type: 'tick', at: 10_200 },
    ]);
    expect(types).toEqual(['unhealthy', 'restart', 'restart_failed', 'wake', 'restart']);
    expect(actions[3]).toMatchObject({ type: 'wake', at: 10_200 });
  });

  it('restarts a namespace child with action=stop instead of stopping it when its owner restarts', () => {
    const { types } = run([{ type: 'restart_requested', reason: 'owner restarted', at: 1 }], rules({ action: 'stop' }));
    expect(types).toEqual(['restart']);
    // ... while a failing probe of its own still quarantines it
    expect(run([fail(1), fail(2), fail(3)], rules({ action: 'stop' })).types).toEqual(['unhealthy', 'stop']);
  });

  it("does not count an operator's start of an exited container as an engine restart", () => {
    const { state } = run([{ type: 'stopped', by: 'exit', exitCode: 0, oom: false, at: 1 }, { type: 'started', at: 5 }], onExit);
    expect(state.budget.restarts).toEqual([]);
    const engine = run([{ type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: 1 }, { type: 'started', at: 5 }], rules({ engineRestarts: true }));
    expect(engine.state.budget.restarts).toEqual([5]);
  });

  it('ends restart_failed with recovered for a container with no liveness probe once a start succeeds', () => {
    const retry = { kind: 'start' as const, reason: 'exited with code 3', cause: 'exit' as const };
    const { types } = run(
      [
        { type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 1 },
        { type: 'restart_done', ok: false, error: 'port in use', retry, at: 2 },
        { type: 'tick', at: 10_002 },
        { type: 'restart_done', ok: true, at: 10_003 },
      ],
      noProbe,
      initialState({ running: true, startedAt: 0 }),
    );
    expect(types).toEqual(['died', 'start', 'restart_failed', 'wake', 'start', 'recovered']);
  });
});
