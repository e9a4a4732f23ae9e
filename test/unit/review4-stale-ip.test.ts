import type { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Review 4 (issue 14 rule 1, d4db18d). SECURITY.md now says names are judged at each probe "because a
// container's addresses change each time it starts", but an IP a label wrote is judged once, when the
// container is first discovered, and never again: a start with a new address refreshes the watch's
// inspect data (discovery.update) but not its policy. The label's address then belongs to whichever
// container got it next, and healer keeps probing that one (and restarting this one on its answers).

describe('review 4: a label IP judged once', () => {
  const fw = fakeWatchdogs('healer-review4-');

  it('after the container starts again with another address, its old address is not probed any more', async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://172.20.0.5:8080/health', 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms' };
    const app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'app', networkMode: 'shop_default', networks: { shop_default: '172.20.0.5' } };
    const fake = fakeEngine([app]);
    let events: PassThrough | undefined;
    const open = fake.engine.openEvents.bind(fake.engine);
    fake.engine.openEvents = async (...args: Parameters<typeof open>) => {
      const s = await open(...args);
      events = s as PassThrough;
      return s;
    };
    const hosts: string[] = [];
    // Nothing is sent anywhere: the prober records where the probe would go.
    const record: Prober = { run: (p, target) => (hosts.push(target.connectTo ?? (p.spec.kind === 'http' && p.spec.host !== '' ? p.spec.host : target.address)), Promise.resolve({ ok: true, latencyMs: 1 })) };
    const wd = fw.watchdog({
      engine: fake.engine,
      prober: record,
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(hosts.length).toBeGreaterThan(0);
    expect(new Set(hosts)).toEqual(new Set(['172.20.0.5']));
    // It stopped unseen and started again with 172.20.0.7; 172.20.0.5 went to another container.
    (app as { networks: Record<string, string> }).networks = { shop_default: '172.20.0.7' };
    const now = Date.now();
    events?.write(`${JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: app.id, Attributes: { name: 'app' } }, time: Math.floor(now / 1000), timeNano: now * 1e6 })}\n`);
    await new Promise((r) => setTimeout(r, 300));
    expect(wd.watches.get(app.id)?.info.networks).toEqual({ shop_default: '172.20.0.7' }); // the watch saw the new address
    hosts.length = 0;
    await new Promise((r) => setTimeout(r, 400));
    expect(hosts).not.toContain('172.20.0.5'); // on d4db18d: every probe still goes to 172.20.0.5
  });
});
