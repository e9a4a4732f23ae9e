import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ownAddresses, parseHostRule, pinsName, probeRules as probeRulesOf, refuseMethod, refuseProbe, refuseResolved, type HostRule, type ProbeRules } from '../../src/config/confine.ts';
import { loadConfig } from '../../src/config/load.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { evaluate } from '../../src/watchdog/discover.ts';
import { hostRules, probeRules, probeSpec } from '../helpers/probe-rules.ts';

const rules = probeRules;
const hosts = hostRules;
const spec = probeSpec;
const HOSTNET = ownAddresses('host', {});
const BRIDGE = ownAddresses('shop_default', { shop_default: '172.20.0.5', monitoring: '172.21.0.3' });
const NONE = ownAddresses('none', { none: '' });

describe('refuseProbe: a label probe goes only to its own container', () => {
  it.each<[string, string, ReturnType<typeof ownAddresses>, Partial<ProbeRules>]>([
    ['empty host, host network', 'http://:8080/healthz', HOSTNET, {}],
    ['empty host, bridge', 'tcp://:5432', BRIDGE, {}],
    ['127.0.0.1 on a host-network container is its own', 'http://127.0.0.1:8080/', HOSTNET, {}],
    ['localhost on a host-network container', 'tcp://localhost:6379', HOSTNET, {}],
    ['::1 on a host-network container', 'http://[::1]:8080/', HOSTNET, {}],
    ['its own bridge IP', 'http://172.21.0.3:8080/', BRIDGE, {}],
    ['a host the file allows by name', 'http://db.internal:80/', BRIDGE, { allowHosts: hosts('db.internal') }],
    ['an IP in an allowed CIDR', 'tcp://10.1.2.3:5432', BRIDGE, { allowHosts: hosts('10.0.0.0/8') }],
    ['an exec probe by default', 'exec:pg_isready -q', NONE, {}],
    ['docker', 'docker', NONE, {}],
    ['the metadata address listed explicitly', 'http://169.254.169.254:80/', BRIDGE, { allowHosts: hosts('169.254.169.254') }],
    ['the socket proxy listed explicitly', 'http://socket-proxy:2375/_ping', BRIDGE, { allowHosts: hosts('socket-proxy') }],
  ])('allows %s', (_what, text, own, over) => {
    expect(refuseProbe(spec(text), rules(over), own)).toBeUndefined();
  });

  it.each<[string, string, ReturnType<typeof ownAddresses>, Partial<ProbeRules>, RegExp]>([
    ['127.0.0.1 on a container with no network of its own', 'http://127.0.0.1:8080/', NONE, {}, /^127\.0\.0\.1 is not one of the container's own addresses .*add 127\.0\.0\.1 to probes\.allow_hosts in watchdog\.yml/],
    ['localhost on a bridge container', 'tcp://localhost:5432', BRIDGE, {}, /^localhost is not one of the container's own addresses/],
    ['another bridge IP', 'http://172.20.0.9:8080/', BRIDGE, {}, /^172\.20\.0\.9 is not one/],
    ['a name', 'http://socket-proxy:2375/containers/x/stop', BRIDGE, {}, /port 2375 is the Docker Engine API's.*add socket-proxy to probes\.allow_hosts/],
    ['the metadata endpoint', 'http://169.254.169.254:80/latest/meta-data/', BRIDGE, {}, /169\.254\.169\.254 is a link-local address/],
    ['the metadata endpoint, even with 0.0.0.0/0 allowed', 'http://169.254.169.254:80/', BRIDGE, { allowHosts: hosts('0.0.0.0/0') }, /link-local/],
    ['IPv6 link-local', 'http://[fe80::1]:80/', BRIDGE, { allowHosts: hosts('::/0') }, /link-local/],
    ['IPv4-mapped metadata', 'http://[::ffff:169.254.169.254]:80/', BRIDGE, { allowHosts: hosts('::/0') }, /link-local/],
    ['the Docker API on its own loopback', 'http://:2375/containers/json', HOSTNET, {}, /port 2375 is the Docker Engine API's/],
    ['the Docker API, TLS port', 'tcp://:2376', HOSTNET, {}, /port 2376/],
    ['the docker.host proxy', 'http://proxy:2999/containers/x/stop', BRIDGE, { allowHosts: hosts('10.0.0.0/8'), dockerApi: { host: 'proxy', port: 2999 } }, /proxy:2999 is the Docker Engine API healer uses \(docker\.host\)/],
    ["healer's own listener, empty host", 'http://:9299/api/status', HOSTNET, {}, /127\.0\.0\.1:9299 is healer's own listener/],
    ["healer's own listener on loopback", 'http://127.0.0.1:9299/metrics', HOSTNET, {}, /healer's own listener/],
    ['exec when the file forbids it', 'exec:sh -c true', BRIDGE, { allowExec: false }, /probes\.allow_exec: true/],
  ])('refuses %s', (_what, text, own, over, reason) => {
    expect(refuseProbe(spec(text), rules(over), own)).toMatch(reason);
  });

  // A name is judged at each probe, by what it resolves to (probes/pin.ts); the port rules apply now.
  it.each<[string, string, ReturnType<typeof ownAddresses>, Partial<ProbeRules>, boolean]>([
    ['a name on a bridge container', 'http://web:8080/', BRIDGE, {}, true],
    ['a name on a container with no network', 'tcp://db:5432', NONE, {}, true],
    ['a name with capitals', 'http://Web.Local:8080/', HOSTNET, {}, true],
    ['localhost on a host-network container (its own, judged now)', 'tcp://localhost:6379', HOSTNET, {}, false],
    ['a name the file allows', 'http://db.internal:80/', BRIDGE, { allowHosts: hosts('db.internal') }, false],
    ['an IP', 'http://172.21.0.3:8080/', BRIDGE, {}, false],
    ['the empty host', 'http://:8080/', BRIDGE, {}, false],
    ['exec', 'exec:true', BRIDGE, {}, false],
  ])('%s: accepted now, pinned at probe time: %s', (_what, text, own, over, pinned) => {
    expect(refuseProbe(spec(text), rules(over), own)).toBeUndefined();
    expect(pinsName(spec(text), rules(over), own)).toBe(pinned);
  });

  it("refuseResolved: only the container's own addresses, never healer's listener or the Engine API", () => {
    expect(refuseResolved('172.20.0.5', 8080, rules(), BRIDGE)).toBeUndefined();
    expect(refuseResolved('172.20.0.9', 8080, rules(), BRIDGE)).toBe("172.20.0.9 is not one of the container's own addresses");
    expect(refuseResolved('127.0.0.1', 8080, rules(), BRIDGE)).toBe("127.0.0.1 is not one of the container's own addresses");
    expect(refuseResolved('127.0.0.1', 8080, rules(), HOSTNET)).toBeUndefined();
    expect(refuseResolved('::1', 8080, rules(), HOSTNET)).toBeUndefined();
    expect(refuseResolved('127.0.0.1', 9299, rules(), HOSTNET)).toBe("127.0.0.1:9299 is healer's own listener (server.listen)");
    expect(refuseResolved('127.0.0.1', 2999, rules({ dockerApi: { host: '127.0.0.1', port: 2999 } }), HOSTNET)).toBe('127.0.0.1:2999 is the Docker Engine API healer uses (docker.host)');
    expect(refuseResolved('169.254.169.254', 80, rules(), NONE)).toMatch(/link-local/);
    expect(refuseResolved('10.0.0.1', 80, rules(), NONE)).toBe("10.0.0.1 is not one of the container's own addresses");
    // A network the operator listed admits the addresses a name resolves to, but never the forbidden ones.
    expect(refuseResolved('10.0.0.1', 80, rules({ allowHosts: hosts('10.0.0.0/8') }), NONE)).toBeUndefined();
    expect(refuseResolved('169.254.169.254', 80, rules({ allowHosts: hosts('0.0.0.0/0') }), NONE)).toMatch(/link-local/);
    expect(refuseResolved('127.0.0.1', 9299, rules({ allowHosts: hosts('127.0.0.0/8') }), NONE)).toMatch(/healer's own listener/);
  });

  // Review: with the listener on every interface and a CIDR covering healer's own address, a label
  // reached healer's listener at that address (only loopback and the listen host were on the list).
  it("healer's listener on a wildcard is refused at every address of healer's own network namespace", () => {
    const own = rules({ allowHosts: hosts('172.16.0.0/12'), listenerAddresses: ['172.18.0.3', 'fd00::3'] });
    expect(refuseResolved('172.18.0.3', 9299, own, BRIDGE)).toBe("172.18.0.3:9299 is healer's own listener (server.listen)");
    expect(refuseProbe(spec('http://172.18.0.3:9299/api/status'), own, BRIDGE)).toMatch(/172\.18\.0\.3:9299 is healer's own listener/);
    expect(refuseResolved('172.18.0.4', 9299, own, BRIDGE)).toBeUndefined();
    expect(refuseResolved('172.18.0.3', 8080, own, BRIDGE)).toBeUndefined();
    const wildcard = probeRulesOf(loadConfig(undefined, {}).config, ['172.18.0.3']);
    expect(wildcard.listenerAddresses).toEqual(['172.18.0.3']);
    const loopbackOnly = probeRulesOf(loadConfig(undefined, { HEALER_SERVER_LISTEN: '127.0.0.1:9299' }).config, ['172.18.0.3']);
    expect(loopbackOnly.listenerAddresses).toBeUndefined();
    expect(refuseResolved('172.18.0.3', 9299, loopbackOnly, BRIDGE)).not.toMatch(/listener/);
  });

  it('allows only GET and HEAD by default', () => {
    expect(refuseMethod('GET', rules())).toBeUndefined();
    expect(refuseMethod('HEAD', rules())).toBeUndefined();
    expect(refuseMethod('POST', rules())).toBe('method POST is not allowed for labels (add it to probes.allow_methods in watchdog.yml; allowed: GET, HEAD)');
    expect(refuseMethod('POST', rules({ allowMethods: ['GET', 'POST'] }))).toBeUndefined();
  });
});

describe('parseHostRule', () => {
  it.each<[string, HostRule]>([
    ['db', { kind: 'name', name: 'db' }],
    ['API.Internal', { kind: 'name', name: 'api.internal' }],
    ['shop_db_1', { kind: 'name', name: 'shop_db_1' }],
    ['10.0.0.5', { kind: 'net', address: '10.0.0.5', prefix: 32, family: 'ipv4' }],
    ['10.0.0.0/8', { kind: 'net', address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['[fd00::1]', { kind: 'net', address: 'fd00::1', prefix: 128, family: 'ipv6' }],
    ['fd00::/8', { kind: 'net', address: 'fd00::', prefix: 8, family: 'ipv6' }],
  ])('%s', (text, rule) => {
    expect(parseHostRule(text)).toEqual({ ok: true, rule });
  });

  it.each(['', '10.0.0.0/33', 'fd00::/129', 'db/8', 'a b', '-db', 'http://db', 'db:5432', '10.0.0.0/', '10.0.0.0/x', 'x'.repeat(64)])('%j is refused', (text) => {
    const r = parseHostRule(text);
    expect(r).toEqual({ ok: false, error: `${JSON.stringify(text)} is not a host name, IP address or CIDR (try db, 10.0.0.5 or 10.0.0.0/24)` });
  });
});

describe('label confinement on recorded inspect data', () => {
  const recorded = (name: string) =>
    toContainerInfo(JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo);
  const loaded = loadConfig(undefined, {});
  const self = { ids: [], hostname: 'healer' };
  const withLabels = (c: ContainerInfo, labels: Record<string, string>): ContainerInfo => ({ ...c, labels: { 'healer.enable': 'true', ...labels } });

  it('a bridge container: 127.0.0.1 is not its own address; the error names label, value and key', () => {
    const c = withLabels(recorded('bridge-two-networks'), { 'healer.liveness': 'http://127.0.0.1:9100/x?token=S3CRET' });
    expect(evaluate(c, loaded, self)).toEqual({
      kind: 'problem',
      errors: [
        `label healer.liveness on container "shop-api-1": "http://127.0.0.1:9100/x?token=[redacted]" refused: 127.0.0.1 is not one of the container's own addresses (a label's probe goes only to its own container; use the empty host, as in http://:9100, or add 127.0.0.1 to probes.allow_hosts in watchdog.yml to allow it)`,
      ],
    });
  });

  it('a bridge container: its own IP on either network, or the empty host, is fine', () => {
    for (const probe of ['http://172.21.0.3:8080/', 'http://172.20.0.5:8080/', 'http://:8080/']) {
      expect(evaluate(withLabels(recorded('bridge-two-networks'), { 'healer.liveness': probe }), loaded, self).kind).toBe('watch');
    }
  });

  it('a host-network container: loopback is its own, except the Docker API and the listener', () => {
    const c = recorded('host-network');
    expect(evaluate(withLabels(c, { 'healer.liveness': 'http://127.0.0.1:8080/' }), loaded, self).kind).toBe('watch');
    const v = evaluate(withLabels(c, { 'healer.liveness': 'http://127.0.0.1:9299/api/status' }), loaded, self);
    expect(v.kind === 'problem' && v.errors[0]).toMatch(/^label healer\.liveness on container "smoke1": "http:\/\/127\.0\.0\.1:9299\/api\/status" refused: 127\.0\.0\.1:9299 is healer's own listener/);
  });

  it('a shared-namespace container: only the empty host', () => {
    const c = recorded('shared-namespace');
    expect(evaluate(withLabels(c, { 'healer.liveness': 'tcp://:5432' }), loaded, self).kind).toBe('watch');
    expect(evaluate(withLabels(c, { 'healer.liveness': 'tcp://127.0.0.1:5432' }), loaded, self).kind).toBe('problem');
  });

  // Review: a label's 576h restart timeout held every restart slot for 24 days.
  it('a label restart timeout above guards.max_label_restart_timeout is a label error naming the key', () => {
    const c = recorded('bridge-two-networks');
    expect(evaluate(withLabels(c, { 'healer.restart.timeout': '5m' }), loaded, self).kind).toBe('watch');
    const v = evaluate(withLabels(c, { 'healer.restart.timeout': '576h' }), loaded, self);
    expect(v.kind === 'problem' && v.errors[0]).toBe(
      'label healer.restart.timeout on container "shop-api-1": 576h is longer than a label may set (5m: a restart holds a restart slot that long; raise guards.max_label_restart_timeout in watchdog.yml to allow it)',
    );
  });

  it('probes in watchdog.yml defaults are trusted and not confined; a label method is', () => {
    const trusted = { ...loaded, rawDefaults: { liveness: { probe: 'http://169.254.169.254:80/', method: 'POST' } } };
    const c = recorded('bridge-two-networks');
    expect(evaluate(withLabels(c, {}), trusted, self).kind).toBe('watch');
    const v = evaluate(withLabels(c, { 'healer.liveness': 'http://:8080/', 'healer.liveness.method': 'DELETE' }), loaded, self);
    expect(v).toEqual({ kind: 'problem', errors: ['label healer.liveness.method on container "shop-api-1": method DELETE is not allowed for labels (add it to probes.allow_methods in watchdog.yml; allowed: GET, HEAD)'] });
  });
});
