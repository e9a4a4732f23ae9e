import { describe, expect, it } from 'vitest';
import { FREE, machineRules } from '../helpers/machine-rules.ts';
import { worldsPerTest } from '../model/worlds.ts';
import { initialState, step } from '../../src/watchdog/state-machine.ts';

// Eleventh adversarial review: the real Watchdog on the model's in-memory Engine 20.10. Fails on the
// reviewed code.
//
// The mass-failure breaker is judged when a decision is taken (state-machine.ts decide: ctx.paused),
// but a decided restart then waits its turn for one of `guards.max_concurrent_restarts` slots
// (actor.ts Actor.act → Limit.run → perform), and perform looks at the container again (gone, paused,
// stopped, not running) but never at the breaker. So when many containers fail together (a shared
// database down: the case the breaker exists for), every restart decided before the breaker opened
// and still queued is sent to the engine while restarts are "paused" (and the decision whose failure
// opened the breaker is taken with the context read just before it: restarted too). README: "when
// more than fraction of at least min_containers watched containers fail at once, restarts pause
// (alert paused) until the fraction falls". Trigger: `healer.liveness.failures: 1` (or probes whose
// failures line up), 8 containers, max_concurrent_restarts 2, restarts that take a few seconds (the
// stop grace of apps that drain).

const world = worldsPerTest();

describe('review11: restarts queued behind max_concurrent_restarts when the mass-failure breaker opens', () => {
  it('no restart reaches the engine while the breaker is open', async () => {
    const w = await world();
    await w.killHealer();
    const sentWhilePaused: string[] = [];
    let sent = 0;
    w.patchEngine((engine) => {
      const original = engine.restart.bind(engine);
      engine.restart = async (id: string, timeoutMs: number) => {
        sent++;
        if (w.wd.paused) sentWhilePaused.push(w.engine.containers.get(id)?.name ?? id);
        // Each restart takes 4 s (an app draining on SIGTERM), then is done.
        await new Promise<void>((resolve) => w.clock.view(-1).setTimeout(resolve, 4_000));
        return original(id, timeoutMs);
      };
    });
    await w.startHealer();
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '1' };
    const cs = Array.from({ length: 8 }, (_, i) => w.engine.create(`app${i}`, labels));
    for (const c of cs) w.engine.startNow(c);
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    // The shared database goes down: all eight fail together.
    for (const c of cs) w.engine.setApp(c, 'hang');
    await w.clock.advance(20_000, () => w.settle());
    expect(w.wd.paused, 'the breaker opened').toBe(true);
    expect(sent, 'restarts sent').toBeGreaterThan(0);
    expect(sentWhilePaused, `restarts sent to the engine while restarts were paused (of ${sent})`).toEqual([]);
  }, 30_000);
});

describe('review11: a queued restart taken back (requeued), in the pure state machine', () => {
  const rules = machineRules();
  const want = { kind: 'restart', reason: '1 failed liveness probes in a row', cause: 'liveness' } as const;

  it('is undone and waits, as a restart decided while the breaker is open does; it goes out once the breaker closes', () => {
    const decided = step(initialState({ running: true, startedAt: 0 }), { type: 'probe', role: 'liveness', ok: false, at: 1_000 }, rules, FREE);
    expect(decided.actions.map((a) => a.type)).toContain('restart');
    const held = step(decided.state, { type: 'requeued', want, at: 2_000 }, rules, { heldBy: undefined, paused: true });
    expect(held.actions.filter((a) => a.type === 'restart')).toEqual([]);
    expect(held.state).toMatchObject({ lifecycle: 'running', inFlight: false, pending: want, budget: { restarts: [], level: 0 } });
    // The breaker closes: the restart goes out at once (no backoff from the restart that was never sent).
    const resumed = step(held.state, { type: 'tick', at: 3_000 }, rules, FREE);
    expect(resumed.actions.map((a) => a.type)).toContain('restart');
    expect(resumed.state.budget.restarts).toEqual([3_000]);
  });
});
