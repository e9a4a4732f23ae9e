import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { idFromHostname, idsFromCgroup, idsFromMountinfo, isSelf, selfContainerClues } from '../../src/docker/self.ts';

const dir = new URL('../fixtures/self/', import.meta.url);
const recorded = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const has = (name: string): boolean => readdirSync(dir).includes(name);

const A = 'a1'.repeat(32);
const B = 'b2'.repeat(32);
const C = 'c3'.repeat(32);

/** Mount table lines in the kernel's format: id parent dev root mountpoint options - fstype source super. */
const line = (root: string, point: string, fs = 'ext4 /dev/vda1 rw'): string => `600 500 254:1 ${root} ${point} rw,relatime - ${fs}`;

describe('exact self-detection', () => {
  it.each([
    ['Docker', `/var/lib/docker/containers/${A}/hostname`, `/var/lib/docker/containers/${A}/hosts`, `/var/lib/docker/containers/${A}/resolv.conf`],
    ['Docker, /var/lib/docker on its own filesystem', `/containers/${A}/hostname`, `/containers/${A}/hosts`, `/containers/${A}/resolv.conf`],
    ['rootful Podman', `/var/lib/containers/storage/overlay-containers/${A}/userdata/hostname`, `/var/lib/containers/storage/overlay-containers/${A}/userdata/hosts`, `/containers/storage/overlay-containers/${A}/userdata/resolv.conf`],
    ['rootless Podman', `/home/u/.local/share/containers/storage/overlay-containers/${A}/userdata/hostname`, `/user/1000/containers/overlay-containers/${A}/userdata/hosts`, `/user/1000/containers/overlay-containers/${A}/userdata/resolv.conf`],
  ])("%s: its own /etc files name it, other containers' shm mounts do not", (_, hostnameRoot, hostsRoot, resolvRoot) => {
    const text = [
      '22 1 0:21 / / rw - overlay overlay rw',
      line(hostnameRoot, '/etc/hostname'),
      line(hostsRoot, '/etc/hosts'),
      line(resolvRoot, '/etc/resolv.conf'),
      // seen from inside a container too when the host's mounts propagate
      line('/', `/var/lib/docker/containers/${B}/mounts/shm`, 'tmpfs shm rw'),
      line('/', `/var/lib/containers/storage/overlay-containers/${C}/userdata/shm`, 'tmpfs shm rw'),
    ].join('\n');
    expect(idsFromMountinfo(text)).toEqual([A]);
  });

  it("on the host: every other container's shm mount and volume is in the table, and none is healer", () => {
    const text = [
      '22 1 254:1 / / rw - ext4 /dev/vda1 rw',
      line('/', `/var/lib/docker/containers/${B}/mounts/shm`, 'tmpfs shm rw,size=65536k'),
      line('/', `/run/containers/storage/overlay-containers/${C}/userdata/shm`, 'tmpfs shm rw,size=64000k'),
      line('/', `/var/lib/containers/storage/overlay/${'d4'.repeat(32)}/merged`, 'overlay overlay rw'),
      line(`/var/lib/docker/containers/${B}/hostname`, `/var/lib/docker/overlay2/${'e5'.repeat(32)}/merged/etc/hostname`),
    ].join('\n');
    expect(idsFromMountinfo(text)).toEqual([]);
    const clues = selfContainerClues((p) => (p.endsWith('mountinfo') ? text : '0::/user.slice/user-0.slice/session-1.scope\n'), 'debian');
    expect(clues.ids).toEqual([]);
    expect(isSelf(B, clues) || isSelf(C, clues)).toBe(false);
  });

  it.each([
    ['cgroup v1, Docker', `12:pids:/docker/${A}\n11:memory:/docker/${A}`, [A]],
    ['cgroup v2, systemd driver, Docker', `0::/system.slice/docker-${A}.scope`, [A]],
    ['cgroup v2, Podman', `0::/machine.slice/libpod-${A}.scope/container`, [A]],
    ['cgroup v2, Podman cgroupfs', `0::/libpod_parent/libpod-${A}`, [A]],
    ['a private cgroup namespace', '0::/', []],
    ["Podman's conmon, not a container", `0::/machine.slice/libpod-conmon-${A}.scope`, []],
    ['the host', '0::/system.slice/ssh.service', []],
  ])('cgroup: %s', (_, text, ids) => {
    expect(idsFromCgroup(text)).toEqual(ids);
  });

  it('a hostname is evidence only when it names exactly one container, and only without better evidence', () => {
    expect(idFromHostname(A.slice(0, 12), [A, B])).toBe(A);
    expect(idFromHostname(A.slice(0, 12), [A, `${A.slice(0, 12)}${'0'.repeat(52)}`])).toBeUndefined();
    expect(idFromHostname('web-1', [A])).toBeUndefined();
    expect(isSelf(A, { ids: [], hostname: A.slice(0, 12) })).toBe(true);
    expect(isSelf(A, { ids: [B], hostname: A.slice(0, 12) })).toBe(false);
  });

  it.each([
    ['docker-ctr', 'a Docker container (host network)'],
    ['docker-bridge-ctr', 'a Docker container with shareable IPC'],
    ['podman-ctr', 'a rootful Podman container'],
  ])('recorded here: %s (%s) finds exactly its own id', (name) => {
    if (!has(`${name}.id`)) throw new Error(`fixture ${name}.id missing`);
    const id = recorded(`${name}.id`).trim();
    const clues = selfContainerClues((p) => (p.endsWith('mountinfo') ? recorded(`${name}.mountinfo`) : has(`${name}.cgroup`) ? recorded(`${name}.cgroup`) : ''), 'x');
    expect(clues.ids).toEqual([id]);
  });

  it('recorded here: the host, with Docker and Podman containers running, finds none', () => {
    const mountinfo = recorded('host.mountinfo');
    expect(mountinfo).toMatch(/userdata\/shm|mounts\/shm/); // the mounts that fooled the old rule are there
    expect(selfContainerClues((p) => (p.endsWith('mountinfo') ? mountinfo : recorded('host.cgroup')), 'x').ids).toEqual([]);
  });
});
