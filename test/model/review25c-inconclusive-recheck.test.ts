import { describe, expect, it } from 'vitest';
import type { Prober } from '../../src/probes/types.ts';
import { queuedRestart, worldsPerTest } from './worlds.ts';

// Review 25c. The liveness re-check of a restart that waited for a slot (recheck.ts) now holds the restart
// when it gets no result (the match budget refused it): "healer neither restarts on a result it did not
// get nor calls it recovered". But an INCONCLUSIVE re-check is still taken as a failure: probe-run.ts
// passesNow returns 'fail' for `inconclusive` (an exec probe whose exec the engine did not answer within its
// timeout, exec.ts; a target that cannot be routed, probe-once.ts), so recheck.ts says 'probed' and, the
// second look finding it running, the restart is sent. A scheduled inconclusive probe is "never a failure,
// nothing is sent" (probe-once.ts); the re-check is the one place it sends a restart.
// Trigger: an exec-probed container (healer.liveness=exec://...) fails, its restart waits for a slot
// (guards.max_concurrent_restarts taken by slow restarts: an engine under load, exactly when exec calls
// time out too); meanwhile the app recovers, but the exec the re-check runs is not answered in time.
// What happens: restarted on the old failures and a result healer did not get. What should: held, as a
// put-off re-check is (or not sent), until a real probe result decides.
// Severity: critical (a restart of a container that recovered, on no evidence).

const newWorld = worldsPerTest();

describe('review25c: an inconclusive liveness re-check does not send the restart', () => {
  it('holds the restart when the re-check has no result, as when the budget refuses it', async () => {
    const w = await newWorld();
    const { late } = await queuedRestart(w);
    expect(w.wd.watches.get(late.id)?.state.inFlight, 'late restart decided, waiting for a slot').toBe(true);

    // The app recovers, but from now on its probes get no answer healer can judge (inconclusive).
    w.engine.setApp(late, 'ok');
    const probers = (w as unknown as { probers: Record<'http' | 'tcp' | 'exec', Prober> }).probers;
    const run = probers.http.run.bind(probers.http);
    let inconclusive = 0;
    probers.http.run = (p, target, signal, rearm, mayMatch) => {
      if (target.containerId === late.id) {
        inconclusive++;
        return Promise.resolve({ ok: false, inconclusive: true, latencyMs: 2_000, error: 'could not run the probe: the engine did not answer the exec create within 2000ms' });
      }
      return run(p, target, signal, rearm, mayMatch);
    };
    for (let i = 0; i < 80; i++) await w.clock.advance(100, () => w.settle());
    expect(inconclusive, 'the re-check ran (and was inconclusive)').toBeGreaterThan(0);
    expect(w.engine.actions.filter((a) => a.id === late.id), 'not restarted on a result healer did not get').toEqual([]);
  }, 60_000);
});
