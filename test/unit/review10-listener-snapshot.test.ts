import { writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { probeRules, refuseProbe, ownAddresses } from '../../src/config/confine.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseProbeSpec } from '../../src/config/probe-spec.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Review 10 (issue 14, 4802b8d/9ac49c2). healer listening on a wildcard refuses a label probe at every
// address of its own network namespace (rules.listenerAddresses, read from os.networkInterfaces()).
// But the Watchdog builds its ProbeRules once, in its constructor, and every probe of every watch is
// routed with that snapshot (watch-factory.ts: deps.rules), although createWatch says the route is
// "judged again at each probe". An address healer's namespace gains later is never refused at probe
// time. Concrete trigger: healer on the host network (compose/stack.yml's shape, or network_mode: host)
// and `docker network create --subnet 198.51.100.0/24 ...` (or any compose project's network) after
// healer started: the host gets the bridge's gateway 198.51.100.1. With a CIDR in probes.allow_hosts
// covering it, a label `http://198.51.100.1:9299/api/status` on a container discovered before (or within
// the 10 s cache after) that network was made is probed at healer's own listener for ever.

let addresses: string[] = ['127.0.0.1'];
vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  const iface = (address: string): NetworkInterfaceInfo => ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: address.startsWith('127.'), cidr: `${address}/24` });
  return { ...os, networkInterfaces: () => ({ lo: addresses.map(iface) }) };
});

describe("review 10: healer's listener addresses are a snapshot from start-up", () => {
  const fw = fakeWatchdogs('healer-review10-');

  it('an address healer gains after start is refused for label probes at its listener port', { timeout: 30_000 }, async () => {
    writeFileSync(`${fw.dir()}/watchdog.yml`, 'probes:\n  allow_hosts: ["198.51.100.0/24"]\n');
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://198.51.100.1:9299/api/status', 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms' };
    const app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'app', networkMode: 'host', networks: {} };
    const fake = fakeEngine([app]);
    const hosts: string[] = [];
    // Nothing is sent anywhere: the prober records where the probe would go.
    const record: Prober = { run: (p, target) => (hosts.push(target.connectTo ?? (p.spec.kind === 'http' && p.spec.host !== '' ? p.spec.host : target.address)), Promise.resolve({ ok: true, latencyMs: 1 })) };
    const wd = fw.watchdog({
      engine: fake.engine,
      loaded: loadConfig(`${fw.dir()}/watchdog.yml`, {}),
      prober: record,
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 300));
    // 198.51.100.1 is not healer's yet: the label may probe it (allow_hosts covers it).
    expect(hosts).toContain('198.51.100.1');
    // A new Docker network's bridge gateway appears on the host (healer on the host network).
    addresses = ['127.0.0.1', '198.51.100.1'];
    // Past confine.ts's 10 s cache of the interface addresses.
    await new Promise((r) => setTimeout(r, 10_500));
    // Rules built now refuse it (so the snapshot is what lets the probe through).
    const fresh = probeRules(loadConfig(`${fw.dir()}/watchdog.yml`, {}).config);
    const parsed = parseProbeSpec(labels['healer.liveness']);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(refuseProbe(parsed.spec, fresh, ownAddresses('host', {}))).toMatch(/healer's own listener/);
    hosts.length = 0;
    await new Promise((r) => setTimeout(r, 400));
    // On wt-review10 (d60635b): every probe still goes to healer's own listener at 198.51.100.1:9299.
    expect(hosts).not.toContain('198.51.100.1');
  });
});
