import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { resolveAddress } from '../../src/docker/address.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';

// Fifth review of "a Swarm task on swarm networks healer is not on is unroutable" (address.ts). Swarm
// services may also attach to the node-local predefined networks (`docker service create --network bridge`,
// or a stack's external network `bridge`): moby's executor (daemon/cluster/executor/container/container.go,
// hostConfig) then sets the task container's HostConfig.NetworkMode to that network's name ("bridge"), and
// the task gets an address on docker0, which the host network and a host process reach as for any bridged
// container. Fails on the code it was written against (main at 580f35b).

const recorded = (name: string) =>
  toContainerInfo(JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo);

describe('review5: a Swarm task on the predefined bridge network (a node-local network, not an overlay)', () => {
  const task = { ...recorded('swarm-task'), networkMode: 'bridge', networks: { bridge: '172.17.0.5' } };

  it('is probed at its bridge address from the host network, as any bridged container is', () => {
    expect(task.task).toBeDefined();
    expect(resolveAddress(task, { self: { inContainer: true, hostNetwork: true, networks: ['host'] } })).toEqual({ ok: true, address: '172.17.0.5' });
  });

  it('is probed at its bridge address from healer outside Docker', () => {
    expect(resolveAddress(task, {})).toEqual({ ok: true, address: '172.17.0.5' });
  });

  it('is probed at its bridge address with healer.network: bridge and healer on the host network', () => {
    expect(resolveAddress(task, { network: 'bridge', self: { inContainer: true, hostNetwork: true, networks: ['host'] } })).toEqual({ ok: true, address: '172.17.0.5' });
  });
});
