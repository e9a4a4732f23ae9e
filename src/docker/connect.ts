import { readFileSync, statSync } from 'node:fs';
import Docker from 'dockerode';
import { engineKind, type EngineInfo } from './dialect.ts';
import { negotiateApi } from './versions.ts';

export { compareApi, MAX_API, MIN_API, negotiateApi } from './versions.ts';

export interface DockerTarget {
  readonly host: string;
  readonly tls?: { verify: boolean; ca_file?: string | undefined; cert_file?: string | undefined; key_file?: string | undefined } | undefined;
}

/** dockerode options for `unix:///path` or `tcp://host:port` (with TLS files when given). */
export function dockerOptions(target: DockerTarget): Docker.DockerOptions {
  const { host } = target;
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const m = /^(?:tcp|https?):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
  if (!m) throw new Error(`docker host "${host}" is not unix:///path or tcp://host:port`);
  const tls = target.tls;
  const useTls = tls !== undefined && (tls.ca_file !== undefined || tls.cert_file !== undefined);
  return {
    host: m[1],
    port: Number(m[2]),
    protocol: useTls ? 'https' : 'http',
    ...(useTls
      ? {
          ca: tls.ca_file ? readFileSync(tls.ca_file) : undefined,
          cert: tls.cert_file ? readFileSync(tls.cert_file) : undefined,
          key: tls.key_file ? readFileSync(tls.key_file) : undefined,
          // dockerode's typings omit it, but docker-modem passes it to https.request
          rejectUnauthorized: tls.verify,
        }
      : {}),
  };
}

/**
 * Connects, asks the engine for its API version and returns a client pinned to the negotiated one.
 * Errors say which host could not be reached, with the cause attached.
 */
export async function connectDocker(target: DockerTarget): Promise<{ docker: Docker; apiVersion: string; engineVersion: string; info: EngineInfo }> {
  const opts = dockerOptions(target);
  const probe = new Docker(opts);
  let version: Docker.DockerVersion;
  try {
    version = await probe.version();
  } catch (err) {
    throw new Error(`cannot reach the Docker engine at ${target.host}: ${(err as Error).message}${connectHint(err, opts.socketPath)}`, { cause: err });
  }
  const apiVersion = negotiateApi(version.ApiVersion, (version as { MinAPIVersion?: string }).MinAPIVersion);
  const info: EngineInfo = { engine: engineKind(version), version: version.Version, apiVersion };
  return { docker: new Docker({ ...opts, version: `v${apiVersion}` }), apiVersion, engineVersion: version.Version, info };
}

/** Says what to change when the first call fails for a reason the operator can fix. */
export function connectHint(err: unknown, socketPath: string | undefined): string {
  const e = err as NodeJS.ErrnoException & { statusCode?: number };
  if (e.statusCode === 403) return ' (GET /version was refused: a socket proxy in front of the engine must allow VERSION=1, PING=1, CONTAINERS=1 and EVENTS=1)';
  if (e.code === 'EACCES' && socketPath !== undefined) {
    let gid = '?';
    try {
      gid = String(statSync(socketPath).gid);
    } catch {
      // keep '?'
    }
    const groups = process.getgroups?.().join(',') ?? '?';
    return ` (healer runs as uid ${process.getuid?.() ?? '?'} with groups ${groups}; the socket belongs to group ${gid}: add that group, e.g. compose group_add: ["${gid}"] or docker run --group-add ${gid})`;
  }
  if (e.code === 'ENOENT' && socketPath !== undefined) return ` (no socket at ${socketPath}: mount it, e.g. -v /var/run/docker.sock:${socketPath}:ro)`;
  return '';
}
