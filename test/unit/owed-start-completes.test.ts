// The start that completes a restart cut by healer's death (an owed start found with `at`) completes a
// restart counted when it was decided: it is not counted again, not held by the backoff, and stays so
// when the breaker sends it back to wait (review15-owed-start-counted-twice).
import { describe, expect, it } from 'vitest';
import { FREE, machineRules } from '../helpers/machine-rules.ts';
import { initialState, resumeExited, step, type MachineState } from '../../src/watchdog/state-machine.ts';

const rules = machineRules({ liveness: { failures: 3, successes: 1, startPeriodMs: 0 }, crashloop: { restarts: 5, windowMs: 600_000, action: 'giveup' } });
const T = 1_000_000;
// Five restarts counted (the 5th cut by healer's death), the last 1 s ago: its backoff not over.
const budget = { restarts: [T - 50_000, T - 40_000, T - 30_000, T - 20_000, T - 1_000], level: 5, lastRestartAt: T - 1_000, loop: 'closed' as const, healthySince: undefined };
const down = (): MachineState => initialState({ running: false, startedAt: T, budget, owedStart: { kind: 'start', reason: 'liveness probe failed', cause: 'liveness', completes: true } });

describe('the owed start of a restart cut by healer\'s death', () => {
  it('goes out at once, not counted as a 6th restart nor given up on', () => {
    const out = resumeExited(down(), T, rules, FREE);
    expect(out.actions.map((a) => a.type)).toEqual(['start']);
    expect(out.state.budget.restarts).toHaveLength(5);
    expect(out.state.budget.loop).toBe('closed');
  });
  it('stays uncounted when the breaker sends it back to wait, and after', () => {
    const sent = resumeExited(down(), T, rules, FREE).state;
    const back = step(sent, { type: 'requeued', want: { kind: 'start', reason: 'liveness probe failed', cause: 'liveness' }, at: T + 100 }, rules, { heldBy: undefined, paused: true });
    expect(back.state.pending?.completes).toBe(true);
    const again = resumeExited(back.state, T + 200, rules, FREE);
    expect(again.actions.map((a) => a.type)).toEqual(['start']);
    expect(again.state.budget.restarts).toHaveLength(5);
  });
  it('without the mark (a start of its own after a crash) is counted, and given up on past the limit', () => {
    const own = initialState({ running: false, startedAt: T, budget: { ...budget, lastRestartAt: T - 600_000 + 60_000 }, owedStart: { kind: 'start', reason: 'r', cause: 'liveness' } });
    const out = resumeExited(own, T, rules, FREE);
    expect(out.state.budget.loop).toBe('gave_up');
  });
});
