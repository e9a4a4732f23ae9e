import { statSync } from 'node:fs';

export interface Dropped {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

/**
 * Least privilege in the image: healer starts as root only to learn the Docker socket's group, then
 * runs as `HEALER_USER` (`uid` or `uid:gid`; the image sets 1000:1000) with that group added, before it
 * opens the socket, the state file or a port. Without HEALER_USER, or when not started as root, nothing
 * changes (run non-root from the start with `user:` and `group_add:` instead). Secrets are read before.
 */
export function dropPrivileges(spec: string | undefined, socketPath: string | undefined): Dropped | undefined {
  if (spec === undefined || spec === '' || process.getuid?.() !== 0) return undefined;
  const m = /^(\d+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`HEALER_USER: "${spec}" is not uid or uid:gid (for example 1000:1000)`);
  const uid = Number(m[1]);
  const gid = m[2] !== undefined ? Number(m[2]) : uid;
  if (uid === 0) return undefined; // asked to stay root
  const groups = [gid];
  if (socketPath !== undefined) {
    try {
      const socketGid = statSync(socketPath).gid;
      if (!groups.includes(socketGid)) groups.push(socketGid);
    } catch {
      // no socket (yet): connecting will say so
    }
  }
  process.setgroups?.(groups);
  process.setgid?.(gid);
  process.setuid?.(uid);
  return { uid, gid, groups };
}
