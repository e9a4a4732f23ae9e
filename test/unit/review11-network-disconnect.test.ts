import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Eleventh adversarial review. Fails on the reviewed code.
//
// healer in a container on network `shop_default` probes `api` (empty probe host) at its address on the
// network they share. `docker network disconnect shop_default api` (an operator moving it to another
// network, or isolating it) emits only a `network` event (type network, not followed: engine.ts
// FOLLOWED_ACTIONS, filter type=container), so healer's inspect data of `api` keeps the old address
// until the container next starts; its probes go to an address that is no longer the container's and
// fail, and healer restarts a healthy container (and keeps doing so: the restart's start refreshes the
// inspect data, which now says "shares no network with healer", only after the first restart).
// README: "A probe healer cannot route is inconclusive, never a failure: ... a container sharing no
// network with healer ... never acted on, so a healthy container is never restarted for a wiring
// problem." The fake prober below answers like the network: only the container's current address answers.

describe('review11: docker network disconnect of the network healer probes a container on', () => {
  const fw = fakeWatchdogs('healer-review11-');

  it('does not restart the healthy container (its probe cannot be routed any more: a configuration problem)', async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/health', 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms', 'healer.liveness.failures': '2' };
    const api: ContainerInfo = { ...syntheticContainer(1, labels), name: 'api', networkMode: 'shop_default', networks: { shop_default: '172.20.0.5' } };
    const fake = fakeEngine([api]);
    // The engine answers a fresh copy each time, as over a socket.
    const inspect = fake.engine.inspect.bind(fake.engine);
    fake.engine.inspect = async (id: string) => {
      const i = await inspect(id);
      return i && { ...i, networks: { ...i.networks } };
    };
    // Nothing is sent anywhere: the address answers only while it is still the container's.
    const prober: Prober = {
      run: (_p, target) => Promise.resolve(Object.values(api.networks).includes(target.address) ? { ok: true, latencyMs: 1 } : { ok: false, latencyMs: 100, error: 'timed out after 100ms' }),
    };
    const wd = fw.watchdog({
      engine: fake.engine,
      prober,
      self: { ids: ['f'.repeat(64)], hostname: 'healer' },
      selfNetwork: { inContainer: true, hostNetwork: false, networks: ['shop_default'] },
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(wd.watches.get(api.id)?.state.liveness.up).toBe(true);
    // docker network disconnect shop_default api; docker network connect backend api
    (api as { networks: Record<string, string> }).networks = { backend: '172.21.0.9' };
    await new Promise((r) => setTimeout(r, 600));
    expect(fake.restarts, 'restarts of the healthy container').toEqual([]);
  });
});
