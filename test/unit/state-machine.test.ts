import { describe, expect, it } from 'vitest';
import { initialState, step, type Action, type Input, type MachineState, type Rules } from '../../src/watchdog/state-machine.ts';

const rules = (over: Partial<Rules> = {}): Rules => ({
  liveness: { failures: 3, successes: 1, startPeriodMs: 0 },
  readiness: { failures: 2, successes: 2, startPeriodMs: 0 },
  action: 'restart',
  dryRun: false,
  ...over,
});

/** Feeds inputs in order; returns the final state and every action with the time of its input. */
function run(inputs: Input[], r: Rules = rules(), start: MachineState = initialState({ running: true, startedAt: 0 })) {
  let state = start;
  const actions: (Action & { at: number })[] = [];
  for (const input of inputs) {
    const out = step(state, input, r);
    state = out.state;
    actions.push(...out.actions.map((a) => ({ ...a, at: input.at })));
  }
  return { state, actions, types: actions.map((a) => (a.type === 'notify' ? a.event : a.type)) };
}

const fail = (at: number, role: 'liveness' | 'readiness' = 'liveness'): Input => ({ type: 'probe', role, ok: false, at });
const pass = (at: number, role: 'liveness' | 'readiness' = 'liveness'): Input => ({ type: 'probe', role, ok: true, at });

describe('liveness', () => {
  it('restarts exactly once when failures in a row reach the threshold', () => {
    const { types, actions, state } = run([fail(10), fail(20), fail(30), fail(40)]);
    expect(types).toEqual(['unhealthy', 'restart']);
    expect(actions[1]?.at).toBe(30);
    expect(state).toMatchObject({ lifecycle: 'restarting', restartInFlight: true });
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

  it('restarts again when the container keeps failing after a restart, without a second unhealthy alert', () => {
    const { types } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: true, at: 4 }, fail(5), fail(6), fail(7)]);
    expect(types).toEqual(['unhealthy', 'restart', 'restart']);
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
    const { types, state } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: false, at: 4 }, fail(5), fail(6), fail(7)]);
    expect(types).toEqual(['unhealthy', 'restart', 'restart_failed', 'restart']);
    expect(state.restartInFlight).toBe(true);
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
    const { state } = run([fail(1), fail(2), fail(3), { type: 'stopped', by: 'exit', at: 4 }, { type: 'stopped', by: 'operator', at: 4 }, { type: 'restart_done', ok: true, at: 5 }]);
    expect(state.lifecycle).toBe('running');
  });

  it('never acts on an exited container', () => {
    expect(run([{ type: 'stopped', by: 'exit', at: 1 }, fail(2), fail(3), fail(4), { type: 'health', status: 'unhealthy', at: 5 }]).types).toEqual([]);
  });
});

describe('docker HEALTHCHECK', () => {
  it('acts at once on an unhealthy status and recovers on healthy', () => {
    const { actions } = run([{ type: 'health', status: 'starting', at: 1 }, { type: 'health', status: 'unhealthy', at: 100 }, { type: 'restart_done', ok: true, at: 200 }, { type: 'health', status: 'healthy', at: 900 }]);
    expect(actions.map((a) => (a.type === 'notify' ? a.event : a.type))).toEqual(['unhealthy', 'restart', 'recovered']);
    expect(actions[1]).toMatchObject({ at: 100, reason: 'docker HEALTHCHECK reports unhealthy' });
    expect(actions[2]).toMatchObject({ recoveryMs: 800 });
  });
});

describe('actions other than restart', () => {
  it('action=notify alerts once per episode and never restarts', () => {
    const { types } = run([fail(1), fail(2), fail(3), fail(4), fail(5), fail(6), pass(7), fail(8), fail(9), fail(10)], rules({ action: 'notify' }));
    expect(types).toEqual(['unhealthy', 'recovered', 'unhealthy']);
  });

  it('dry-run withholds the restart, every `failures` failures, and never restarts', () => {
    const { actions, types } = run([fail(1), fail(2), fail(3), fail(4), fail(5), fail(6)], rules({ dryRun: true }));
    expect(types).toEqual(['unhealthy', 'withheld', 'withheld']);
    expect(actions[1]).toMatchObject({ would: 'restart', why: 'dry-run' });
  });

  it('action=stop quarantines', () => {
    const { types, state } = run([fail(1), fail(2), fail(3)], rules({ action: 'stop' }));
    expect(types).toEqual(['unhealthy', 'stop']);
    expect(state.restartInFlight).toBe(false);
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
