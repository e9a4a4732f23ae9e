import { describe, expect, it } from 'vitest';
import { ownAddresses, type ProbeRules } from '../../src/config/confine.ts';
import { parseProbeSpec } from '../../src/config/probe-spec.ts';
import { pinOwnName, type Lookup, type Pinned } from '../../src/probes/pin.ts';

// SECURITY.md rule 2: a label's probe host that is a name goes only where every address it resolves to
// is the container's own, and is connected to the address judged (never resolved twice).

const rules: ProbeRules = { allowHosts: [], allowMethods: ['GET', 'HEAD'], allowExec: true, dockerApi: undefined, listen: { host: '127.0.0.1', port: 9299 }, maxRestartTimeoutMs: 300_000 };
const HOSTNET = ownAddresses('host', {});
const BRIDGE = ownAddresses('shop_default', { shop_default: '172.20.0.5', monitoring: '172.21.0.3' });
const spec = (text: string) => {
  const r = parseProbeSpec(text);
  if (!r.ok) throw new Error(r.error);
  return r.spec;
};
const answers =
  (map: Record<string, readonly string[] | Error>): Lookup =>
  (name) => {
    const a = map[name];
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a ?? []);
  };
const never = new AbortController().signal;
const errorOf = (r: Pinned): string => (r.ok ? `pinned to ${r.address}` : r.error);
const addressOf = (r: Pinned): string => (r.ok ? r.address : r.error);

describe('pinOwnName', () => {
  it('a name that resolves to the container’s own address is pinned to it', async () => {
    const lookup = answers({ web: ['172.21.0.3'] });
    expect(await pinOwnName(spec('http://web:8080/health'), rules, BRIDGE, never, lookup)).toEqual({ ok: true, address: '172.21.0.3' });
  });

  it('every address must be the container’s own: a scaled service name (two replicas) is refused', async () => {
    const lookup = answers({ web: ['172.20.0.5', '172.20.0.6'] });
    expect(await pinOwnName(spec('http://web:8080/health'), rules, BRIDGE, never, lookup)).toEqual({
      ok: false,
      error:
        "web resolves to 172.20.0.6 (of 172.20.0.5, 172.20.0.6): 172.20.0.6 is not one of the container's own addresses; a label's probe goes only to its own container; use the empty host, as in http://:8080, or add web to probes.allow_hosts in watchdog.yml to allow it",
    });
  });

  it('a name aimed at another service, the metadata endpoint, or healer’s own listener is refused', async () => {
    const lookup = answers({ 'socket-proxy': ['172.20.0.9'], meta: ['169.254.169.254'], me: ['127.0.0.1'] });
    expect(errorOf(await pinOwnName(spec('http://socket-proxy:2999/containers/x/stop'), rules, BRIDGE, never, lookup))).toMatch(/^socket-proxy resolves to 172\.20\.0\.9: 172\.20\.0\.9 is not one of the container's own addresses; .*add socket-proxy to probes\.allow_hosts/);
    expect(errorOf(await pinOwnName(spec('http://meta:80/latest/'), rules, BRIDGE, never, lookup))).toMatch(/^meta resolves to 169\.254\.169\.254: 169\.254\.169\.254 is a link-local address/);
    expect(errorOf(await pinOwnName(spec('tcp://me:9299'), rules, HOSTNET, never, lookup))).toMatch(/^me resolves to 127\.0\.0\.1: 127\.0\.0\.1:9299 is healer's own listener/);
    expect(await pinOwnName(spec('tcp://me:8080'), rules, HOSTNET, never, lookup)).toEqual({ ok: true, address: '127.0.0.1' });
  });

  it('a name that does not resolve, or resolves to nothing, is refused naming the reason', async () => {
    const lookup = answers({ gone: Object.assign(new Error('getaddrinfo ENOTFOUND gone'), { code: 'ENOTFOUND' }) });
    expect(await pinOwnName(spec('tcp://gone:5432'), rules, BRIDGE, never, lookup)).toEqual({
      ok: false,
      error: "gone could not be resolved from where healer runs (ENOTFOUND); a label's probe goes only to its own container; use the empty host, as in tcp://:5432, or add gone to probes.allow_hosts in watchdog.yml to allow it",
    });
    expect(errorOf(await pinOwnName(spec('tcp://empty:5432'), rules, BRIDGE, never, lookup))).toMatch(/^empty resolves to no address/);
  });

  it('a resolver that does not answer is cut at the probe’s timeout', async () => {
    const ctl = new AbortController();
    const pending = pinOwnName(spec('tcp://slow:5432'), rules, BRIDGE, ctl.signal, () => new Promise(() => undefined));
    ctl.abort(new DOMException('timed out after 1000ms', 'TimeoutError'));
    expect(errorOf(await pending)).toMatch(/^slow could not be resolved from where healer runs \(timed out after 1000ms\)/);
  });

  it('the system resolver: a name from /etc/hosts is judged by its real addresses', async () => {
    expect(addressOf(await pinOwnName(spec('tcp://localhost:8080'), rules, HOSTNET, never))).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(errorOf(await pinOwnName(spec('tcp://localhost:8080'), rules, BRIDGE, never))).toMatch(/^localhost resolves to (127\.0\.0\.1|::1).*is not one of the container's own addresses/);
  });
});
