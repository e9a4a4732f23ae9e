import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Engine } from './engine.ts';
import type { ContainerInfo } from './types.ts';

/** The files every engine bind-mounts into a container from that container's own directory. */
const OWN_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
/** Docker: .../containers/<id>/hostname; Podman: .../overlay-containers/<id>/userdata/hostname (vfs-containers, ...). */
const OWN_FILE_SOURCE = /(?:^|\/)(?:[a-z0-9]+-)?containers\/([0-9a-f]{64})\/(?:userdata\/)?(?:hostname|hosts|resolv\.conf)$/;
/** Docker: /docker/<id>, docker-<id>.scope; Podman: libpod-<id>.scope, /libpod_parent/libpod-<id> (not libpod-conmon-). */
const OWN_CGROUP = /(?:^|\/)(?:docker[-/]|libpod-)([0-9a-f]{64})(?:\.scope)?(?:\/|$)/;

/** Undoes mountinfo's octal escapes (`\040` for a space). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Container ids named by the mounts of healer's own /etc/hostname, /etc/hosts and /etc/resolv.conf.
 * Only those lines: on the host, the mount table also lists every other container's shm mount
 * (Docker's .../containers/<id>/mounts/shm, rootful Podman's .../userdata/shm), which say nothing
 * about healer.
 */
export function idsFromMountinfo(text: string): string[] {
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const root = f[3];
    const point = f[4];
    if (root === undefined || point === undefined || !OWN_FILES.has(unescape(point))) continue;
    const m = OWN_FILE_SOURCE.exec(unescape(root));
    if (m?.[1]) ids.add(m[1]);
  }
  return [...ids];
}

/** The container id in healer's own cgroup path (a cgroup namespace of its own shows `/`: none). */
export function idsFromCgroup(text: string): string[] {
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    const path = line.split(':').slice(2).join(':');
    const m = OWN_CGROUP.exec(path);
    if (m?.[1]) ids.add(m[1]);
  }
  return [...ids];
}

/**
 * Clues to healer's own container, so it never acts on itself: evidence that names only it (its own
 * bind-mounted /etc files, its cgroup) and its hostname (Docker's and Podman's default is the short id,
 * matched by isSelf). Run on the host, none of these names a container.
 */
export function selfContainerClues(read: (path: string) => string = (p) => readFileSync(p, 'utf8'), host = hostname()): {
  ids: string[];
  hostname: string;
} {
  const ids = new Set<string>();
  const tryRead = (file: string): string => {
    try {
      return read(file);
    } catch {
      return '';
    }
  };
  for (const id of idsFromMountinfo(tryRead('/proc/self/mountinfo'))) ids.add(id);
  for (const id of idsFromCgroup(tryRead('/proc/self/cgroup'))) ids.add(id);
  return { ids: [...ids], hostname: host };
}

/** Whether a container is healer itself, given the clues above. */
export function isSelf(containerId: string, clues: { ids: readonly string[]; hostname: string }): boolean {
  if (clues.ids.includes(containerId)) return true;
  return clues.ids.length === 0 && /^[0-9a-f]{12}$/.test(clues.hostname) && containerId.startsWith(clues.hostname);
}

/**
 * The one container whose id starts with `host` (a 12-hex-digit hostname), or undefined when none or
 * several do: a hostname is evidence only when it names exactly one container.
 */
export function idFromHostname(host: string, containerIds: readonly string[]): string | undefined {
  if (!/^[0-9a-f]{12}$/.test(host)) return undefined;
  const matches = containerIds.filter((id) => id.startsWith(host));
  return matches.length === 1 ? matches[0] : undefined;
}

/** healer's own container, when it runs in one the engine knows (the first of its candidate ids that inspects). */
export async function ownContainer(engine: Pick<Engine, 'inspect'>, ids: readonly string[]): Promise<ContainerInfo | undefined> {
  for (const id of ids) {
    const info = await engine.inspect(id).catch(() => undefined);
    if (info) return info;
  }
  return undefined;
}
