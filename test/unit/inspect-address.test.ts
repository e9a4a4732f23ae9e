import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { resolveAddress } from '../../src/docker/address.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';

// Recorded `docker inspect` output from Engine 20.10 (host-network.json); the others are the same record
// with the network section edited to what bridge, multi-network and shared-namespace containers show.
const recorded = (name: string) =>
  toContainerInfo(JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo);

describe('toContainerInfo', () => {
  it('reads a host-network container', () => {
    const c = recorded('host-network');
    expect(c).toMatchObject({ name: 'smoke1', running: true, restarting: false, networkMode: 'host', hasHealthcheck: false, health: undefined });
    expect(c.labels['healer.enable']).toBe('true');
    expect(c.id).toMatch(/^[0-9a-f]{64}$/);
    expect(c.startedAt).toBeGreaterThan(0);
  });

  it('reads compose labels, the HEALTHCHECK and its status', () => {
    const c = recorded('bridge-two-networks');
    expect(c).toMatchObject({ name: 'shop-api-1', project: 'shop', service: 'api', hasHealthcheck: true, health: 'unhealthy' });
    expect(c.networks).toEqual({ shop_default: '172.20.0.5', monitoring: '172.21.0.3' });
  });

  it('reads exit code and OOM of an exited container', () => {
    expect(recorded('no-network-exited')).toMatchObject({ running: false, exitCode: 137, oomKilled: true });
  });
});

describe('resolveAddress', () => {
  it('uses 127.0.0.1 for host-network containers', () => {
    expect(resolveAddress(recorded('host-network'), {})).toEqual({ ok: true, address: '127.0.0.1' });
  });

  it('prefers the network named by healer.network', () => {
    expect(resolveAddress(recorded('bridge-two-networks'), { network: 'shop_default', self: { inContainer: false, hostNetwork: false, networks: ['monitoring'] } })).toEqual({
      ok: true,
      address: '172.20.0.5',
    });
  });

  it('uses a network shared with healer', () => {
    expect(resolveAddress(recorded('bridge-two-networks'), { self: { inContainer: false, hostNetwork: false, networks: ['monitoring'] } })).toEqual({ ok: true, address: '172.21.0.3' });
  });

  it('falls back to the first network by name when healer shares none', () => {
    expect(resolveAddress(recorded('bridge-two-networks'), { self: { inContainer: false, hostNetwork: false, networks: [] } })).toEqual({ ok: true, address: '172.21.0.3' });
  });

  it('says so when healer.network names a network the container is not on', () => {
    expect(resolveAddress(recorded('bridge-two-networks'), { network: 'backend' })).toEqual({
      ok: false,
      error: 'has no address on network "backend" (healer.network)',
    });
  });

  it('resolves a shared namespace through its owner', () => {
    const child = recorded('shared-namespace');
    expect(resolveAddress(child, { owner: recorded('bridge-two-networks'), self: { inContainer: true, hostNetwork: false, networks: ['shop_default'] } })).toEqual({ ok: true, address: '172.20.0.5' });
    expect(resolveAddress(child, {})).toMatchObject({ ok: false, error: expect.stringContaining('shares the network of') as string });
  });

  // A stack's service is on its overlay network by default: from the host network its address is
  // unreachable, so a probe there would fail a healthy task and hand it back to Swarm again and again.
  it('a Swarm task on overlay networks is reached only through a network healer shares with it', () => {
    const task = { ...recorded('swarm-task'), networkMode: 'default', networks: { web_default: '10.0.1.5', ingress: '10.0.0.7' } };
    const hostNet = { inContainer: true, hostNetwork: true, networks: [] };
    expect(resolveAddress(task, { self: hostNet })).toEqual({
      ok: false,
      error: 'is a Swarm task on ingress, web_default (swarm networks, which healer reaches only from a container on the same network); attach healer to one of them (an attachable overlay) or set a probe host',
    });
    expect(resolveAddress(task, {})).toMatchObject({ ok: false });
    expect(resolveAddress(task, { network: 'web_default', self: hostNet })).toMatchObject({ ok: false });
    expect(resolveAddress(task, { self: { inContainer: true, hostNetwork: false, networks: ['web_default'] } })).toEqual({ ok: true, address: '10.0.1.5' });
    expect(resolveAddress(task, { network: 'web_default', self: { inContainer: true, hostNetwork: false, networks: ['web_default'] } })).toEqual({ ok: true, address: '10.0.1.5' });
    // A host-network task is probed at 127.0.0.1 as before.
    expect(resolveAddress(recorded('swarm-task'), { self: hostNet })).toEqual({ ok: true, address: '127.0.0.1' });
  });

  it('reports a container without any address', () => {
    expect(resolveAddress(recorded('no-network-exited'), {})).toMatchObject({ ok: false, error: expect.stringContaining('has no network address') as string });
  });
});
