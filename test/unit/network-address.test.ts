import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAddress, type SelfNetwork } from '../../src/docker/address.ts';
import { Engine } from '../../src/docker/engine.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import type { ContainerInfo, NetworkKind } from '../../src/docker/types.ts';

// A compose container on its project's bridge ("b-br") and on an attachable overlay ("a-ov", sorting
// first) to reach Swarm services. Both records are Engine 20.10's own answers on the Swarm test engine:
// the container's NetworkSettings.Networks (bridge-and-overlay.json) and GET /networks
// (swarm-manager-20.10.json). From the host's network namespace the overlay address is unreachable:
// probing it fails a healthy container, which is then restarted again and again.
const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
const inspectJson = fixture('inspect/bridge-and-overlay.json') as Docker.ContainerInspectInfo;
const networksJson = fixture('networks/swarm-manager-20.10.json') as { Name: string; Id: string; Driver: string; Scope: string }[];
const kindsOf = (names: Record<string, string>): Record<string, NetworkKind> =>
  Object.fromEntries(Object.entries(names).map(([on, listed]) => {
    const n = networksJson.find((x) => x.Name === listed);
    if (!n) throw new Error(listed);
    return [on, { driver: n.Driver, scope: n.Scope }];
  }));
const known = (): ContainerInfo => toContainerInfo(inspectJson, kindsOf({ 'a-ov': 'a-ov', 'b-br': 'b-br' }));

const OUTSIDE: SelfNetwork = { inContainer: false, hostNetwork: false, networks: [] };
const HOST_NET: SelfNetwork = { inContainer: true, hostNetwork: true, networks: ['host'] };
const MACVLAN = { driver: 'macvlan', scope: 'local' };

describe('the address an empty probe host stands for, from the host network or outside Docker', () => {
  it('is the bridge address, not the overlay address that sorts first (regression: a false restart)', () => {
    expect(known().networks).toEqual({ 'a-ov': '198.19.1.2', 'b-br': '198.18.1.2' });
    expect(resolveAddress(known(), { self: OUTSIDE })).toEqual({ ok: true, address: '198.18.1.2' });
    expect(resolveAddress(known(), { self: HOST_NET })).toEqual({ ok: true, address: '198.18.1.2' });
  });

  it('skips a macvlan or ipvlan network too, and the same through a container:<id> owner', () => {
    const c = { ...known(), networks: { 'a-mv': '198.18.5.9', 'b-br': '198.18.1.2', 'c-ipvlan': '198.18.6.9' }, networkKinds: { 'a-mv': MACVLAN, 'b-br': { driver: 'bridge', scope: 'local' }, 'c-ipvlan': { driver: 'ipvlan', scope: 'local' } } };
    expect(resolveAddress(c, { self: OUTSIDE })).toEqual({ ok: true, address: '198.18.1.2' });
    const child = { ...c, id: 'd'.repeat(64), networkMode: `container:${c.id}`, networks: {}, networkKinds: undefined };
    expect(resolveAddress(child, { self: HOST_NET, owner: c })).toEqual({ ok: true, address: '198.18.1.2' });
  });

  it('is an error naming the networks when only unreachable ones are left, never a guess', () => {
    const c = { ...known(), networks: { 'a-ov': '198.19.1.2', 'm-vlan': '198.18.5.9' }, networkKinds: { ...kindsOf({ 'a-ov': 'a-ov' }), 'm-vlan': MACVLAN } };
    expect(resolveAddress(c, { self: HOST_NET })).toEqual({
      ok: false,
      error:
        'is only on networks healer on the host network or outside Docker cannot reach: "a-ov" (driver overlay, scope swarm), "m-vlan" (driver macvlan, scope local); set healer.network to a bridge network it is also on, set a probe host, or run healer in a container attached to one of them',
    });
  });

  it('is an error when healer.network names an overlay; a macvlan named there is taken as asked (a host with a shim reaches it)', () => {
    expect(resolveAddress(known(), { network: 'a-ov', self: OUTSIDE })).toEqual({
      ok: false,
      error: 'is probed on network "a-ov" (healer.network), driver overlay, scope swarm, which healer on the host network or outside Docker cannot reach; name a bridge network in healer.network, set a probe host, or run healer in a container attached to "a-ov"',
    });
    expect(resolveAddress(known(), { network: 'b-br', self: HOST_NET })).toEqual({ ok: true, address: '198.18.1.2' });
    const mv = { ...known(), networkKinds: { 'a-ov': MACVLAN } };
    expect(resolveAddress(mv, { network: 'a-ov', self: OUTSIDE })).toEqual({ ok: true, address: '198.19.1.2' });
  });

  it('takes a network of a driver it does not know (a plugin) after the bridges, as before', () => {
    const c = { ...known(), networkKinds: { 'a-ov': { driver: 'weave', scope: 'local' }, 'b-br': { driver: 'bridge', scope: 'local' } } };
    expect(resolveAddress(c, { self: OUTSIDE })).toEqual({ ok: true, address: '198.18.1.2' });
    expect(resolveAddress({ ...c, networkKinds: { 'a-ov': { driver: 'weave', scope: 'local' }, 'b-br': MACVLAN } }, { self: OUTSIDE })).toEqual({ ok: true, address: '198.19.1.2' });
  });

  it('is the first network by name, as before, when the kinds are not known (GET /networks refused)', () => {
    expect(resolveAddress(toContainerInfo(inspectJson), { self: OUTSIDE })).toEqual({ ok: true, address: '198.19.1.2' });
  });
});

describe('the address from healer in a container of its own network: unchanged', () => {
  it('is the overlay address when healer is attached to that overlay', () => {
    expect(resolveAddress(known(), { self: { inContainer: true, hostNetwork: false, networks: ['a-ov'] } })).toEqual({ ok: true, address: '198.19.1.2' });
    expect(resolveAddress(known(), { network: 'a-ov', self: { inContainer: true, hostNetwork: false, networks: ['a-ov'] } })).toEqual({ ok: true, address: '198.19.1.2' });
  });

  it('is an error when healer shares no network with the container', () => {
    expect(resolveAddress(known(), { self: { inContainer: true, hostNetwork: false, networks: ['other'] } })).toMatchObject({ ok: false, error: expect.stringMatching(/^shares no network with healer/) as string });
  });
});

// Engine.inspect learns the kinds through GET /networks, answered here by an HTTP server on 127.0.0.1
// as Engine API 1.41 answers (the recorded JSON), or refused with 403 as a socket proxy refuses.
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function engineAnswering(opts: { networks: () => unknown[] | 403; paths: string[]; inspect?: (id: string) => Docker.ContainerInspectInfo }): Promise<Engine> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0] ?? '';
    opts.paths.push(path);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/networks') {
      const list = opts.networks();
      return list === 403 ? json(403, { message: 'forbidden' }) : json(200, list);
    }
    const id = /^\/containers\/([^/]+)\/json$/.exec(path)?.[1];
    if (id !== undefined) return json(200, opts.inspect ? opts.inspect(id) : { ...inspectJson, Id: id });
    json(404, { message: 'no such thing' });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new Engine(new Docker({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http', version: 'v1.41' }));
}

describe('Engine.inspect learns the network drivers once, by network id', () => {
  it('2,000 containers on known networks make one GET /networks', async () => {
    const paths: string[] = [];
    const engine = await engineAnswering({ networks: () => networksJson, paths });
    const infos = await Promise.all(Array.from({ length: 2000 }, (_, i) => engine.inspect(`c${i}`)));
    expect(paths.filter((p) => p === '/networks')).toHaveLength(1);
    for (const info of infos) expect(info && resolveAddress(info, { self: OUTSIDE })).toEqual({ ok: true, address: '198.18.1.2' });
  }, 30_000);

  it('reads again for a network made later, and not again for one gone from a fresh read', async () => {
    const paths: string[] = [];
    const nets = inspectJson.NetworkSettings.Networks;
    const on = (id: string, Networks: object) => ({ ...inspectJson, Id: id, NetworkSettings: { ...inspectJson.NetworkSettings, Networks } }) as Docker.ContainerInspectInfo;
    const byId: Record<string, Docker.ContainerInspectInfo> = {
      c1: on('c1', { 'b-br': nets['b-br'] }),
      c2: on('c2', nets),
      gone: on('gone', { ...nets, 'a-ov': { ...nets['a-ov'], NetworkID: 'removed-since' } }),
    };
    let list = networksJson.filter((n) => n.Name !== 'a-ov');
    const engine = await engineAnswering({ networks: () => list, paths, inspect: (id) => byId[id] ?? on(id, {}) });
    const count = () => paths.filter((p) => p === '/networks').length;
    expect((await engine.inspect('c1'))?.networkKinds).toEqual({ 'b-br': { driver: 'bridge', scope: 'local' } });
    expect(count()).toBe(1);
    // The overlay is made later; a container on it names an id not seen yet.
    list = networksJson;
    expect((await engine.inspect('c2'))?.networkKinds).toEqual({ 'a-ov': { driver: 'overlay', scope: 'swarm' }, 'b-br': { driver: 'bridge', scope: 'local' } });
    expect(count()).toBe(2);
    await engine.inspect('gone');
    await engine.inspect('gone');
    await engine.inspect('c2');
    expect(count()).toBe(3);
  });

  it('a refused GET /networks leaves the kinds unknown (the choice as before), said once, not asked per container', async () => {
    const paths: string[] = [];
    const engine = await engineAnswering({ networks: () => 403, paths });
    const said: string[] = [];
    engine.networks.onRefused = (why) => said.push(why);
    const a = await engine.inspect('c1');
    await engine.inspect('c2');
    expect(a?.networkKinds).toBeUndefined();
    expect(a && resolveAddress(a, { self: OUTSIDE })).toEqual({ ok: true, address: '198.19.1.2' });
    expect(paths.filter((p) => p === '/networks')).toHaveLength(1);
    expect(said).toHaveLength(1);
    expect(engine.networks.refused).toMatch(/GET \/networks was refused \(a socket proxy must allow NETWORKS=1\)/);
  });

  it('asks nothing for a container without a network address (host network)', async () => {
    const paths: string[] = [];
    const host = fixture('inspect/host-network.json') as Docker.ContainerInspectInfo;
    const engine = await engineAnswering({ networks: () => networksJson, paths, inspect: () => host });
    expect((await engine.inspect('h'))?.networkMode).toBe('host');
    expect(paths).toEqual(['/containers/h/json']);
  });

  // Podman 4.3's own answer to GET /networks (recorded from the service here): its default network, a
  // bridge, listed as "bridge". Its compat inspect may give the network's name as NetworkID.
  it("reads Podman's networks, by id or by name", async () => {
    const paths: string[] = [];
    const podmanList = fixture('networks/podman-4.3.json') as { Name: string; Id: string }[];
    const listed = podmanList[0];
    if (!listed) throw new Error('empty fixture');
    const nets = inspectJson.NetworkSettings.Networks;
    const on = (NetworkID: string) => ({ ...inspectJson, NetworkSettings: { ...inspectJson.NetworkSettings, Networks: { [listed.Name]: { ...nets['b-br'], NetworkID } } } }) as Docker.ContainerInspectInfo;
    let id = listed.Id;
    const engine = await engineAnswering({ networks: () => podmanList, paths, inspect: () => on(id) });
    expect((await engine.inspect('p'))?.networkKinds).toEqual({ [listed.Name]: { driver: 'bridge', scope: 'local' } });
    id = listed.Name;
    expect((await engine.inspect('p'))?.networkKinds).toEqual({ [listed.Name]: { driver: 'bridge', scope: 'local' } });
    expect(paths.filter((p) => p === '/networks')).toHaveLength(1);
  });
});
