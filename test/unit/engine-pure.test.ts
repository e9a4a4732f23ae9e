import { describe, expect, it } from 'vitest';
import { compareApi, dockerOptions, negotiateApi } from '../../src/docker/connect.ts';
import { parseEvent } from '../../src/docker/engine.ts';
import { tooOldHint } from '../../src/docker/versions.ts';
import { isSelf, selfContainerClues } from '../../src/docker/self.ts';

describe('parseEvent', () => {
  const id = 'a'.repeat(64);
  it('reads a health_status event (Engine API 1.41 shape)', () => {
    const line = JSON.stringify({
      status: 'health_status: unhealthy',
      id,
      from: 'healer-test-busybox',
      Type: 'container',
      Action: 'health_status: unhealthy',
      Actor: { ID: id, Attributes: { image: 'healer-test-busybox', name: 'web', 'healer.enable': 'true' } },
      scope: 'local',
      time: 1_700_000_000,
      timeNano: 1_700_000_000_123_456_000,
    });
    expect(parseEvent(line)).toEqual({
      id,
      name: 'web',
      action: 'health_status',
      health: 'unhealthy',
      exitCode: undefined,
      labels: { 'healer.enable': 'true' },
      time: 1_700_000_000_123,
    });
  });

  // Recorded on this test bed (`docker network disconnect none c`, Engine 20.10; `podman network
  // disconnect podman c` through Podman 4.3's Docker API): the actor is the network on Docker, the container on Podman.
  it.each([
    ['Docker', { Type: 'network', Action: 'disconnect', Actor: { ID: 'd964bb08a774', Attributes: { container: id, name: 'none', type: 'null' } }, timeNano: 1_795_485_062_814_018_000 }, ''],
    ['Podman', { status: 'disconnect', id, Type: 'network', Action: 'disconnect', Actor: { ID: id, Attributes: { containerExitCode: '0', image: '', name: 'web', podId: '' } }, timeNano: 1_795_485_062_814_018_000 }, 'web'],
  ])("reads %s's network disconnect as the container's", (_engine, raw, name) => {
    expect(parseEvent(JSON.stringify(raw))).toEqual({ id, name, action: 'network_disconnect', health: undefined, exitCode: undefined, signal: undefined, labels: {}, time: 1_795_485_062_814 });
  });

  it.each(['destroy', 'create', 'remove'])('reads a network %s as an event it does not follow (null: not logged as unreadable)', (action) => {
    expect(parseEvent(JSON.stringify({ Type: 'network', Action: action, Actor: { ID: 'n1', Attributes: { name: 'shop_default' } } }))).toBeNull();
  });

  it('reads the exit code of a die event', () => {
    const ev = parseEvent(JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: id, Attributes: { name: 'web', exitCode: '137' } }, time: 5 }));
    expect(ev).toMatchObject({ action: 'die', exitCode: 137, time: 5000 });
  });

  it.each(['', 'not json', '{}', '[]', 'null', JSON.stringify({ Type: 'image', Action: 'pull', Actor: { ID: 'x' } }), JSON.stringify({ Type: 'container', Action: 3 })])(
    'ignores %j',
    (line) => {
      expect(parseEvent(line)).toBeUndefined();
    },
  );
});

describe('API version negotiation', () => {
  it.each([
    ['1.41', '1.41'],
    ['1.45', '1.45'],
    ['1.51', '1.51'],
    ['1.52', '1.52'],
    ['1.60', '1.52'],
    ['2.0', '1.52'],
  ])('engine %s → speak %s', (engine, spoken) => {
    expect(negotiateApi(engine)).toBe(spoken);
  });

  it.each([
    // Engine 20.10 (min 1.12), Podman 4.3 (1.41, min 1.24), Engine 29.0 (1.52, min 1.44), a 29.x that still lists 1.24
    ['1.41', '1.12', '1.41'],
    ['1.41', '1.24', '1.41'],
    ['1.52', '1.44', '1.52'],
    ['1.53', '1.44', '1.52'],
  ])('engine %s with minimum %s → speak %s', (engine, min, spoken) => {
    expect(negotiateApi(engine, min)).toBe(spoken);
  });

  it('names both versions and the fix when the engine refuses everything healer speaks', () => {
    expect(() => negotiateApi('1.60', '1.55')).toThrow(
      'the Docker engine accepts API 1.55 or newer, and healer speaks at most 1.52: use a newer healer, or run the engine with DOCKER_MIN_API_VERSION=1.52',
    );
  });

  it("turns the engine's version refusal into the versions and the fix", () => {
    // Engine 29's answer to a client pinned below 1.44
    const refusal = 'client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version';
    expect(tooOldHint(refusal)).toBe(
      'the engine refuses API 1.41 (its minimum is 1.44; healer speaks up to 1.52): restart healer so it negotiates again, use a newer healer, or set DOCKER_MIN_API_VERSION=1.41 on the engine',
    );
    expect(tooOldHint('No such container: x')).toBeUndefined();
  });

  it('refuses an engine older than 20.10 with a clear error', () => {
    expect(() => negotiateApi('1.40')).toThrow('the Docker engine speaks API 1.40; healer needs 1.41 (Engine 20.10) or newer');
  });

  it('compares numerically, not as text', () => {
    expect(compareApi('1.9', '1.41')).toBeLessThan(0);
  });
});

describe('dockerOptions', () => {
  it.each([
    ['unix:///var/run/docker.sock', { socketPath: '/var/run/docker.sock' }],
    ['/run/podman/podman.sock', { socketPath: '/run/podman/podman.sock' }],
    ['tcp://127.0.0.1:2375', { host: '127.0.0.1', port: 2375, protocol: 'http' }],
  ])('%s', (host, opts) => {
    expect(dockerOptions({ host })).toEqual(opts);
  });
  it('rejects what it cannot connect to', () => {
    expect(() => dockerOptions({ host: 'ssh://me@box' })).toThrow('docker host "ssh://me@box" is not unix:///path or tcp://host:port');
  });
});

describe('self detection', () => {
  const id = '3f'.repeat(32);
  it('finds the id in mountinfo (cgroup v2 hosts)', () => {
    const mountinfo = `1 2 0:1 / / rw - overlay overlay rw\n567 560 254:1 /var/lib/docker/containers/${id}/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n`;
    const clues = selfContainerClues((p) => (p.endsWith('mountinfo') ? mountinfo : ''), 'box');
    expect(clues.ids).toEqual([id]);
    expect(isSelf(id, clues)).toBe(true);
    expect(isSelf('ab'.repeat(32), clues)).toBe(false);
  });

  it('finds the id in /proc/self/cgroup (cgroup v1) and by short-id hostname', () => {
    const cgroup = `12:pids:/docker/${id}\n`;
    const clues = selfContainerClues((p) => (p.endsWith('cgroup') ? cgroup : ''), 'box');
    expect(isSelf(id, clues)).toBe(true);
    expect(isSelf(id, { ids: [], hostname: id.slice(0, 12) })).toBe(true);
    expect(isSelf(id, { ids: [], hostname: 'my-laptop' })).toBe(false);
  });

  it('finds nothing outside a container', () => {
    expect(selfContainerClues(() => { throw new Error('ENOENT'); }, 'host').ids).toEqual([]);
  });
});
