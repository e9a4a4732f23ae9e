import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { checkContainers, formatCheck } from '../../src/check.ts';
import { forbiddenTarget, ownAddresses, ownAt, probeRules as rulesOf, refuseProbe, refuseResolved, type ProbeRules } from '../../src/config/confine.ts';
import { loadConfig } from '../../src/config/load.ts';
import { selfNetworkOf } from '../../src/docker/address.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import { publishedPorts } from '../../src/docker/ports.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { systemClock } from '../../src/watchdog/clock.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { Watchdog } from '../../src/watchdog/watchdog.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { hostRules, probeRules, probeSpec } from '../helpers/probe-rules.ts';

// The listener rule (SECURITY.md, rule 1) through the host ports healer's own container publishes:
// compose `ports: ["9299:9299"]`, or compose/stack-overlay.yml's `mode: host`. `<a host address>:9299`
// leads to healer, and no address of healer's own namespace is that address.

const fixture = (name: string): Docker.ContainerInspectInfo =>
  JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo;
/** healer in compose on a bridge: 9299:9299, 127.0.0.1:18080-18089:9299, an engine-picked 49153 (Docker's form). */
const DOCKER = toContainerInfo(fixture('docker-published'));
/** healer as Podman 4.3 records it: 9299, 127.0.0.1:18080, [::1]:18081 for 9299/tcp; 18303 is udp; 18300-18301 other ports. */
const PODMAN = toContainerInfo(fixture('podman-published'));
const HOSTNET = ownAddresses('host', {});
const BRIDGE = ownAddresses('shop_default', { shop_default: '172.20.0.5' });
const withPorts = (healer: ContainerInfo, over: Partial<ProbeRules> = {}): ProbeRules => ({
  ...probeRules(over),
  publishedListener: rulesOf(loadConfig(undefined, {}).config, [], selfNetworkOf(healer).published).publishedListener,
});

describe('published ports, from Docker’s and Podman’s inspect', () => {
  it('Docker: what the container asked for (a range kept whole, an "any" port skipped) and what the engine bound; 0.0.0.0 and :: are every address', () => {
    expect(DOCKER.published).toEqual([
      { containerPort: 9299, protocol: 'tcp', hostIp: '', hostPort: 9299, lastHostPort: 9299 },
      { containerPort: 9299, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18080, lastHostPort: 18089 },
      { containerPort: 9299, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18080, lastHostPort: 18080 },
      { containerPort: 9299, protocol: 'tcp', hostIp: '', hostPort: 49153, lastHostPort: 49153 },
    ]);
  });

  it('Podman: "" is every address, ranges come expanded, other protocols are kept with theirs', () => {
    expect(PODMAN.published).toEqual(
      expect.arrayContaining([
        { containerPort: 9299, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18080, lastHostPort: 18080 },
        { containerPort: 9299, protocol: 'tcp', hostIp: '::1', hostPort: 18081, lastHostPort: 18081 },
        { containerPort: 9299, protocol: 'tcp', hostIp: '', hostPort: 9299, lastHostPort: 9299 },
        { containerPort: 9299, protocol: 'udp', hostIp: '', hostPort: 18303, lastHostPort: 18303 },
        { containerPort: 9300, protocol: 'tcp', hostIp: '', hostPort: 18300, lastHostPort: 18300 },
      ]),
    );
    expect(PODMAN.published).toHaveLength(6);
  });

  it('nothing on the host network (Docker keeps the bindings it discarded), nor from malformed entries', () => {
    expect(publishedPorts('host', { '9299/tcp': [{ HostIp: '', HostPort: '9299' }] }, {})).toEqual([]);
    expect(publishedPorts('bridge', { '9299/tcp': null, 'x/tcp': [{ HostPort: '1' }], '80': [{ HostPort: '0' }, { HostPort: '9-8' }, null] }, null)).toEqual([]);
    expect(publishedPorts('bridge', { '80': [{ HostIp: '[::1]', HostPort: ' 8080 ' }] }, undefined)).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '::1', hostPort: 8080, lastHostPort: 8080 }]);
  });

  it('only the bindings of server.listen’s port over TCP lead to the listener; none with server.listen off', () => {
    const config = loadConfig(undefined, { HEALER_SERVER_LISTEN: ':9300' }).config;
    expect(rulesOf(config, [], PODMAN.published).publishedListener).toEqual([{ containerPort: 9300, protocol: 'tcp', hostIp: '', hostPort: 18300, lastHostPort: 18300 }]);
    expect(rulesOf(loadConfig(undefined, { HEALER_SERVER_LISTEN: 'off' }).config, [], PODMAN.published).publishedListener).toEqual([]);
  });
});

describe('a label probe never reaches healer through a port its container publishes', () => {
  it.each<[string, ContainerInfo, string, ReturnType<typeof ownAddresses>, Partial<ProbeRules>, string]>([
    ['a host-network app at 127.0.0.1 on the port the engine picked', DOCKER, 'http://127.0.0.1:49153/api/status', HOSTNET, {}, '127.0.0.1:49153 is healer\'s own listener through the port healer\'s container publishes (host port 49153 on every host address → 9299/tcp)'],
    ['a host-network app at localhost inside a published range', DOCKER, 'tcp://localhost:18085', HOSTNET, {}, 'localhost:18085 is healer\'s own listener through the port healer\'s container publishes (host ports 18080-18089 on 127.0.0.1 → 9299/tcp)'],
    ['a host-network app’s empty host', DOCKER, 'http://:49153/metrics', HOSTNET, {}, '127.0.0.1:49153 is healer\'s own listener'],
    ['a host address allow_hosts admits by CIDR', DOCKER, 'http://198.51.100.7:9299/api/status', BRIDGE, { allowHosts: hostRules('198.51.100.0/24') }, '198.51.100.7:9299 is healer\'s own listener through the port healer\'s container publishes (host port 9299 on every host address → 9299/tcp)'],
    ['Podman: ::1 bound on its own', PODMAN, 'http://[::1]:18081/', HOSTNET, {}, '::1:18081 is healer\'s own listener through the port healer\'s container publishes (host port 18081 on [::1] → 9299/tcp)'],
    ['Podman: "" is every address', PODMAN, 'http://198.51.100.7:9299/', BRIDGE, { allowHosts: hostRules('198.51.100.0/24') }, '(host port 9299 on every host address → 9299/tcp)'],
  ])('refuses %s', (_what, healer, text, own, over, reason) => {
    const why = refuseProbe(probeSpec(text), withPorts(healer, over), own);
    expect(why).toContain(reason);
    expect(why).toMatch(/healer never probes it for a label unless watchdog\.yml lists the host explicitly/);
  });

  it.each<[string, ContainerInfo, string, ReturnType<typeof ownAddresses>, Partial<ProbeRules>]>([
    ['a bridge app’s empty host on the same port number (its own port)', DOCKER, 'http://:9299/', BRIDGE, {}],
    ['a bridge app’s own IP on the same port number', DOCKER, 'http://172.20.0.5:49153/', BRIDGE, {}],
    ['a host address on a port healer does not publish', DOCKER, 'http://198.51.100.7:9300/', BRIDGE, { allowHosts: hostRules('198.51.100.0/24') }],
    ['a host address at a port published on 127.0.0.1 only', DOCKER, 'http://198.51.100.7:18085/', BRIDGE, { allowHosts: hostRules('198.51.100.0/24') }],
    ['the published udp port', PODMAN, 'tcp://127.0.0.1:18303', HOSTNET, {}],
    ['a published port of another container port', PODMAN, 'tcp://127.0.0.1:18300', HOSTNET, {}],
    ['the host address listed by itself (the operator’s explicit choice)', DOCKER, 'http://198.51.100.7:9299/', BRIDGE, { allowHosts: hostRules('198.51.100.7') }],
    ['a name (judged on what it resolves to)', DOCKER, 'http://web:9299/', BRIDGE, {}],
  ])('allows %s', (_what, healer, text, own, over) => {
    expect(refuseProbe(probeSpec(text), withPorts(healer, over), own)).toBeUndefined();
  });

  it('a name resolving to a host address at a published port is refused at probe time; to the app’s own IP, not', () => {
    const rules = withPorts(DOCKER, { allowHosts: hostRules('198.51.100.0/24') });
    expect(refuseResolved('198.51.100.7', 9299, rules, BRIDGE)).toMatch(/^198\.51\.100\.7:9299 is healer's own listener through the port healer's container publishes/);
    expect(refuseResolved('172.20.0.5', 9299, rules, BRIDGE)).toBeUndefined();
  });

  it('an empty host is judged where it led: a container IP (also a `container:` child’s owner) is its own port, loopback is the host’s', () => {
    const rules = withPorts(DOCKER);
    expect(forbiddenTarget('172.20.0.9', 9299, rules, ownAt('172.20.0.9'))).toBeUndefined();
    expect(forbiddenTarget('127.0.0.1', 49153, rules, ownAt('127.0.0.1'))).toMatch(/publishes/);
    expect(forbiddenTarget('172.20.0.9', 9299, rules)).toMatch(/publishes/); // who it is not known: a host address
  });
});

describe('healer reads its published ports with its own container', () => {
  let dir = '';
  let wd: Watchdog | undefined;
  afterEach(async () => {
    await wd?.stop(1000);
    wd = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const apps = (): ContainerInfo[] => {
    const probe = (target: string) => ({ 'healer.enable': 'true', 'healer.liveness': target, 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms' });
    return [
      { ...syntheticContainer(1, probe('http://198.51.100.7:9299/api/status')), name: 'reacher', networkMode: 'shop_default', networks: { shop_default: '172.20.0.5' } },
      { ...syntheticContainer(2, probe('http://:9299/health')), name: 'own-port', networkMode: 'shop_default', networks: { shop_default: '172.20.0.6' } },
    ];
  };

  it('`healer check` in healer’s container names the container, the label and the published port', async () => {
    dir = mkdtempSync(`${tmpdir()}/healer-published-`);
    writeFileSync(`${dir}/watchdog.yml`, 'probes:\n  allow_hosts: ["198.51.100.0/24"]\n');
    const { engine } = fakeEngine([DOCKER, ...apps()]);
    const log = pino({ level: 'silent' });
    const rows = await checkContainers(engine, loadConfig(`${dir}/watchdog.yml`, {}), { ids: [DOCKER.id], hostname: 'healer' }, new StateFile(`${dir}/state.json`, log), Date.now());
    const out = formatCheck(rows);
    expect(out).toContain(
      'label healer.liveness on container "reacher": "http://198.51.100.7:9299/api/status" refused: 198.51.100.7:9299 is healer\'s own listener through the port healer\'s container publishes (host port 9299 on every host address → 9299/tcp); healer never probes it for a label unless watchdog.yml lists the host explicitly (add 198.51.100.7 to probes.allow_hosts in watchdog.yml to allow it)',
    );
    expect(rows.find((r) => r.container === 'own-port')?.verdict.kind).toBe('watch');
  });

  it('the watchdog refuses the label (nothing is probed there) and still probes the app on its own port', { timeout: 10_000 }, async () => {
    dir = mkdtempSync(`${tmpdir()}/healer-published-`);
    writeFileSync(`${dir}/watchdog.yml`, 'probes:\n  allow_hosts: ["198.51.100.0/24"]\n');
    const { engine } = fakeEngine(apps());
    const sent: string[] = [];
    // Nothing is sent anywhere: the prober records where each probe would go.
    const record: Prober = { run: (p, target) => (sent.push(`${p.spec.kind === 'http' && p.spec.host !== '' ? p.spec.host : target.address}:${p.spec.kind === 'http' ? p.spec.port : 0}`), Promise.resolve({ ok: true, latencyMs: 1 })) };
    const log = pino({ level: 'silent' });
    wd = new Watchdog({
      engine,
      loaded: loadConfig(`${dir}/watchdog.yml`, {}),
      log,
      clock: systemClock,
      probers: { http: record, tcp: record, exec: record },
      self: { ids: [DOCKER.id], hostname: 'healer' },
      selfNetwork: selfNetworkOf(DOCKER),
      state: new StateFile(`${dir}/state.json`, log),
      alerter: { emit: () => undefined, containerGone: () => undefined },
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(sent).toContain('172.20.0.6:9299');
    expect(sent).not.toContain('198.51.100.7:9299');
  });
});
