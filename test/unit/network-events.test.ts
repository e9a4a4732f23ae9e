import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// `docker network disconnect` / `connect` arrive as network events (Type network; the container is an
// attribute on Docker, the actor on Podman: parse-event.ts). healer reads the container again on them,
// so its probes go to its new address before they fail at the old one. Nothing is sent anywhere: the
// prober answers like the network would (only the container's current address answers).

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('network connect and disconnect events', () => {
  const fw = fakeWatchdogs('healer-netev-');

  it('move the probes to the new address at once: no failure, no unhealthy alert, no restart', async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/health', 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms', 'healer.liveness.failures': '3' };
    const api: ContainerInfo = { ...syntheticContainer(1, labels), name: 'api', networkMode: 'shop_default', networks: { shop_default: '172.20.0.5' } };
    const fake = fakeEngine([api]);
    const inspect = fake.engine.inspect.bind(fake.engine);
    fake.engine.inspect = async (id: string) => {
      const i = await inspect(id);
      return i && { ...i, networks: { ...i.networks } };
    };
    const stream = new PassThrough();
    fake.engine.openEvents = () => Promise.resolve(stream);
    const probed: string[] = [];
    const prober: Prober = {
      run: (_p, target) => {
        probed.push(target.address);
        return Promise.resolve(Object.values(api.networks).includes(target.address) ? { ok: true, latencyMs: 1 } : { ok: false, latencyMs: 100, error: 'timed out after 100ms' });
      },
    };
    const alerts: AlertInput[] = [];
    const wd = fw.watchdog({
      engine: fake.engine,
      prober,
      self: { ids: ['f'.repeat(64)], hostname: 'healer' },
      selfNetwork: { inContainer: true, hostNetwork: false, networks: ['shop_default'] },
      alerter: { emit: (a) => void alerts.push(a), containerGone: () => undefined },
    });
    await wd.start();
    await sleep(250);
    expect(wd.watches.get(api.id)?.state.liveness.up).toBe(true);
    // docker network disconnect shop_default api; docker network connect shop_default api (a new address).
    const now = Date.now() * 1e6;
    (api as { networks: Record<string, string> }).networks = { shop_default: '172.20.0.9' };
    const ev = (action: string, t: number): string => `${JSON.stringify({ Type: 'network', Action: action, Actor: { ID: 'n1', Attributes: { container: api.id, name: 'shop_default', type: 'bridge' } }, timeNano: t })}\n`;
    stream.write(ev('disconnect', now) + ev('connect', now + 1e6));
    await sleep(600);
    expect(wd.watches.get(api.id)?.info.networks).toEqual({ shop_default: '172.20.0.9' });
    expect(probed.at(-1)).toBe('172.20.0.9');
    expect(alerts.map((a) => a.event)).toEqual([]);
    expect(fake.restarts).toEqual([]);
  });
});
