import { describe, expect, it } from 'vitest';
import { owedStartToResume } from '../../src/watchdog/exits.ts';
import { initialState } from '../../src/watchdog/state-machine.ts';
import { persistedEntry, type PersistedContainer } from '../../src/watchdog/state-file.ts';

// The start owed by a restart healer sent (at 10_000) and never saw answered: healer was killed between
// its stop and start halves (test/model/s23-killed-mid-restart.test.ts runs it through the watchdog).
const sent: PersistedContainer = {
  name: 'api',
  budget: { restarts: [10_000], level: 1, lastRestartAt: 10_000, loop: 'closed', healthySince: undefined },
  lastExit: undefined,
  lifecycle: 'restarting',
  restartCount: 0,
  owedStart: { reason: '3 failed liveness probes in a row', cause: 'liveness', at: 10_000 },
  savedAt: 10_000,
};
const STOP_WITHIN = 10_000 + 10_000; // the restart's grace (restart.timeout) and the engine's answer time

describe('s23: the start owed by a restart healer did not see answered', () => {
  it.each([
    ['down by the restart\'s stop half, nobody started it since', { startedAt: 1_000, finishedAt: 12_000 }, true],
    ['down at the end of the stop\'s grace', { startedAt: 1_000, finishedAt: 10_000 + STOP_WITHIN }, true],
    // The restart's start half ran (or someone started it), and the container went down since: not healer's stop.
    ['started after the restart was sent, then stopped', { startedAt: 12_500, finishedAt: 15_000 }, false],
    // Went down later than healer's stop could have ended: the restart never reached it; someone else's stop.
    ['down after the stop could have ended', { startedAt: 1_000, finishedAt: 10_000 + STOP_WITHIN + 1 }, false],
    ['down before the restart was sent', { startedAt: 1_000, finishedAt: 8_000 }, false],
  ])('%s', (_what, info, owed) => {
    expect(owedStartToResume(info, sent, STOP_WITHIN)).toEqual(owed ? { kind: 'start', reason: sent.owedStart?.reason, cause: 'liveness', completes: true } : undefined);
  });

  it('only as the restart left it: an entry written after the answer (lifecycle no longer restarting) owes nothing', () => {
    expect(owedStartToResume({ startedAt: 1_000, finishedAt: 12_000 }, { ...sent, lifecycle: 'running' }, STOP_WITHIN)).toBeUndefined();
    expect(owedStartToResume({ startedAt: 1_000, finishedAt: 12_000 }, { ...sent, lifecycle: 'stopped' }, STOP_WITHIN)).toBeUndefined();
  });

  it('a refused start half (no `at`) is owed as before, whatever the timing of its exit', () => {
    const refused: PersistedContainer = { ...sent, lifecycle: 'exited', owedStart: { reason: 'r', cause: 'exit' } };
    expect(owedStartToResume({ startedAt: 1_000, finishedAt: 99_000 }, refused, STOP_WITHIN)).toEqual({ kind: 'start', reason: 'r', cause: 'exit' });
    expect(owedStartToResume({ startedAt: 10_000, finishedAt: 99_000 }, refused, STOP_WITHIN)).toBeUndefined();
  });

  it('persistedEntry writes the sent restart as owed only while it is in flight, and the machine\'s own owed start first', () => {
    const restartSent = { reason: 'r', cause: 'liveness' as const, at: 5 };
    const running = initialState({ running: true, startedAt: 0 });
    const inFlight = { ...running, lifecycle: 'restarting' as const, inFlight: true };
    const info = { restartCount: 2, startedAt: 0 };
    expect(persistedEntry({ name: 'a', state: inFlight, info, restartSent }).owedStart).toEqual({ reason: 'r', cause: 'liveness', at: 5 });
    expect(persistedEntry({ name: 'a', state: running, info, restartSent }).owedStart).toBeUndefined();
    expect(persistedEntry({ name: 'a', state: inFlight, info, restartSent: undefined }).owedStart).toBeUndefined();
    const owes = { ...inFlight, owedStart: { kind: 'start' as const, reason: 'refused', cause: 'exit' as const } };
    expect(persistedEntry({ name: 'a', state: owes, info, restartSent }).owedStart).toEqual({ reason: 'refused', cause: 'exit' });
  });
});
