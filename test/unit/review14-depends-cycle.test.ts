import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Review 14 (bad input in labels). Trigger: two containers of one compose project that name each other
// in healer.depends_on (a: depends_on=b, b: depends_on=a; compose refuses such a cycle in its own
// depends_on, healer's label accepts it), or two replicas of a service each depending on that service.
// Both fail their liveness probes.
// What happens: each is "held" because the other is failing (watchdog/guards.ts failingDependency,
// decide.ts holds while ctx.heldBy is set). Neither recovers without a restart, so neither is ever
// restarted: both stay down for good, with a `held` alert blaming the other, and no label error.
// What should happen: a dependency cycle is not a hold (or is a label error naming healer.depends_on):
// at least one of them is restarted. Here nothing else fails, so healer restarts them.

describe('review14: two containers depending on each other are not held forever', () => {
  const fw = fakeWatchdogs('healer-review14-');

  it('a depends_on b, b depends_on a, both failing: healer restarts them', async () => {
    const probe = { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/health', 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms', 'healer.liveness.failures': '2' };
    const a: ContainerInfo = { ...syntheticContainer(1, { ...probe, 'healer.depends_on': 'b' }), name: 'shop-a-1', project: 'shop', service: 'a' };
    const b: ContainerInfo = { ...syntheticContainer(2, { ...probe, 'healer.depends_on': 'a' }), name: 'shop-b-1', project: 'shop', service: 'b' };
    const fake = fakeEngine([a, b]);
    // Both apps are broken: every probe fails (nothing is sent anywhere).
    const prober: Prober = { run: () => Promise.resolve({ ok: false, latencyMs: 1, error: 'status 500 not in 200-399', status: 500 }) };
    // Fix: the cycle is logged (once per container, naming the containers), so it is also reported.
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const wd = fw.watchdog({
      engine: fake.engine,
      log,
      prober,
      self: { ids: ['f'.repeat(64)], hostname: 'healer' },
      selfNetwork: { inContainer: false, hostNetwork: true, networks: [] },
    });
    await wd.start();
    // 2 failures at 100 ms: each would be restarted within ~300 ms; give it 2 s.
    await new Promise((r) => setTimeout(r, 2000));
    expect(wd.watches.get(a.id)?.state.heldBy ?? wd.watches.get(b.id)?.state.heldBy, 'held by').toBeUndefined();
    expect(fake.restarts.length, 'restarts of the two failing containers').toBeGreaterThan(0);
    const cycles = lines.map((l) => JSON.parse(l) as { msg: string; cycle?: string }).filter((l) => l.msg.startsWith('healer.depends_on cycle'));
    expect([...new Set(cycles.map((l) => l.cycle))].sort()).toEqual(['shop-a-1 -> shop-b-1 -> shop-a-1', 'shop-b-1 -> shop-a-1 -> shop-b-1']);
  });
});
