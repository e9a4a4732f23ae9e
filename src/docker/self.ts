import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Clues to healer's own container, so it never acts on itself: the container id in
 * /proc/self/mountinfo (Docker bind-mounts /etc/hostname from /var/lib/docker/containers/<id>/),
 * the id in /proc/self/cgroup (cgroup v1), and the hostname (Docker's default is the short id).
 */
export function selfContainerClues(read: (path: string) => string = (p) => readFileSync(p, 'utf8'), host = hostname()): {
  ids: string[];
  hostname: string;
} {
  const ids = new Set<string>();
  for (const file of ['/proc/self/mountinfo', '/proc/self/cgroup']) {
    let text: string;
    try {
      text = read(file);
    } catch {
      continue;
    }
    for (const m of text.matchAll(/(?:containers\/|docker[-/])([0-9a-f]{64})/g)) if (m[1]) ids.add(m[1]);
  }
  return { ids: [...ids], hostname: host };
}

/** Whether a container is healer itself, given the clues above. */
export function isSelf(containerId: string, clues: { ids: readonly string[]; hostname: string }): boolean {
  if (clues.ids.includes(containerId)) return true;
  return /^[0-9a-f]{12}$/.test(clues.hostname) && containerId.startsWith(clues.hostname);
}
