import type Docker from 'dockerode';
import { READ_MS } from './engine.ts';

/** Longest name taken from the engine: a DNS name's limit; anything longer is not a host name. */
const MAX_NAME = 253;

/**
 * Whether healer's hostname says nothing about the host: Docker and Podman give a container its short id
 * as hostname unless told otherwise (`hostname:` in compose, host networking), so healer in the compose
 * example would name every alert's host `3f2a9b8c1d0e`.
 */
export function hostnameIsContainerId(clues: { ids: readonly string[]; hostname: string }): boolean {
  if (!/^[0-9a-f]{12}$/.test(clues.hostname)) return false;
  return clues.ids.length === 0 || clues.ids.some((id) => id.startsWith(clues.hostname));
}

/**
 * The engine host's own name (`GET /info` Name, which Docker and Podman both give), or why not: a socket
 * proxy may refuse /info (tecnativa's INFO=1), an old engine may not answer in time.
 */
export async function engineHostName(docker: Docker): Promise<{ name: string } | { error: string }> {
  try {
    // dockerode's types omit info's options; its code reads abortSignal from them.
    const ask = docker.info.bind(docker) as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    const info = (await ask({ abortSignal: AbortSignal.timeout(READ_MS) })) as { Name?: unknown };
    const name = info.Name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.length > MAX_NAME) {
      return { error: 'the engine gave no usable Name in GET /info' };
    }
    return { name };
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    return { error: status === 403 ? 'GET /info was refused (a socket proxy must allow INFO=1)' : `GET /info failed: ${(err as Error).message}` };
  }
}

/**
 * The host name alerts carry: healer's own hostname, unless that is only its container's short id, in
 * which case the engine's name for its host. `note` says why the hostname stayed when the engine could
 * not tell, so the operator can set `hostname:` or allow /info.
 */
export async function alertHostName(
  clues: { ids: readonly string[]; hostname: string },
  ask: () => Promise<{ name: string } | { error: string }>,
): Promise<{ host: string; note?: string }> {
  if (!hostnameIsContainerId(clues)) return { host: clues.hostname };
  const answer = await ask();
  if ('name' in answer) return { host: answer.name };
  return { host: clues.hostname, note: `alerts name the host by healer's hostname ${clues.hostname}, its container's id: ${answer.error}; set hostname: in compose to name it` };
}
