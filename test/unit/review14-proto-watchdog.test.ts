import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Review 14 (adversarial, label author): the whole watchdog, over the in-memory engine (the e2e version
// could not run: the engine lock was held by a dockerd that inherited it). Trigger: a tenant's container
// with `healer.enable=true` and `healer.__proto__.x=y`, and the operator's container "victim" whose
// liveness probe fails. What happens: reading the tenant's labels sets Object.prototype.x (config/
// objects.ts setPath walks `__proto__`), every later policy fails ("label healer.liveness.x on
// container \"victim\": unknown label"), the victim is not watched and never restarted; the status
// lists the victim among the label errors. What should happen: only the tenant's container has a label
// error (naming healer.__proto__.x); the victim is watched and restarted after 2 failed probes.

describe('review14: a __proto__ label on a tenant container does not stop healer healing the others', () => {
  const fw = fakeWatchdogs('healer-review14-');
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).x;
  });

  it('the victim with a failing probe is watched and restarted', async () => {
    const tenant: ContainerInfo = { ...syntheticContainer(1, { 'healer.enable': 'true', 'healer.__proto__.x': 'y' }), name: 'tenant' };
    const victim: ContainerInfo = {
      ...syntheticContainer(2, { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/health', 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms', 'healer.liveness.failures': '2' }),
      name: 'victim',
    };
    const fake = fakeEngine([tenant, victim]);
    const prober: Prober = { run: () => Promise.resolve({ ok: false, latencyMs: 1, error: 'status 500 not in 200-399', status: 500 }) };
    const wd = fw.watchdog({
      engine: fake.engine,
      prober,
      self: { ids: ['f'.repeat(64)], hostname: 'healer' },
      selfNetwork: { inContainer: false, hostNetwork: true, networks: [] },
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 1500));
    const problems = wd.status().problems.map((p) => p.name);
    expect(problems, 'containers with label errors').toEqual(['tenant']);
    expect(wd.watches.has(victim.id), 'victim watched').toBe(true);
    expect(fake.restarts, 'restarts').toContain(victim.id);
  });
});
