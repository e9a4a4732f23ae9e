import { describe, expect, it } from 'vitest';
import { queuedRestart, worldsPerTest } from '../model/worlds.ts';

// Review 25b (recheck.ts / pre-action.ts, reworked by s25-budget; the order is older, review 15).
// preAction() judges "stopped meanwhile" (w.events.stopSignalled, fresh.running) from its inspect BEFORE
// the liveness re-check of a restart that waited for a slot, and never after it. The re-check is a whole
// probe (up to its timeout: seconds). An operator's `docker stop` that lands while that probe is in
// flight makes the probe fail (the app is shutting down), the re-check answers 'fail', and preAction
// goes on to 'go': the restart is sent to a container the operator has just stopped, starting it again.
// Trigger: a container's liveness fails; its restart waits for a slot (guards.max_concurrent_restarts,
// both taken by slow restarts); at its turn the re-check probe runs; during it the operator runs
// `docker stop` (here: the stop is issued from inside that probe, which then fails).
// What happens: healer restarts (starts) the stopped container. What should: the stop is looked at again
// after the re-check (as before it): the restart is skipped and the container stays stopped
// (critical: healer undoes an operator's stop).

const newWorld = worldsPerTest();

// The same gap for a `docker pause` during the re-check (a backup): the restart must not go to a frozen
// container (the harness fails any action on a paused one); the pause is looked at again too (fix s25-fix-b).
describe("review25b: an operator's stop during a queued restart's liveness re-check", () => {
  it.each(['stop', 'pause'] as const)('is not undone by the restart (%s)', async (how) => {
    const w = await newWorld();
    const { late } = await queuedRestart(w);
    expect(w.wd.watches.get(late.id)?.state.inFlight, 'late restart decided, waiting for a slot').toBe(true);

    // The re-check's probe (ContainerWatch.passesNow): the operator's stop lands while it is in flight.
    let stoppedAt: number | undefined;
    const probe = w.engine.probe.bind(w.engine);
    w.engine.probe = (id: string): boolean => {
      if (id === late.id && stoppedAt === undefined && (new Error().stack ?? '').includes('passesNow')) {
        stoppedAt = w.clock.now();
        if (how === 'stop') w.engine.stopNow(late);
        else w.engine.pause(late);
        return false;
      }
      return probe(id);
    };
    for (let i = 0; i < 150; i++) await w.clock.advance(100, () => w.settle());
    expect(stoppedAt, 'the re-check ran').toBeDefined();
    const after = w.engine.actions.filter((a) => a.id === late.id && a.at >= (stoppedAt ?? 0));
    expect(after.map((a) => a.kind), 'no restart or start after the operator stopped it').toEqual([]);
    if (how === 'stop') expect(w.engine.containers.get(late.id)?.running).toBe(false);
    else expect(w.engine.containers.get(late.id)?.paused).toBe(true);
  }, 60_000);
});
