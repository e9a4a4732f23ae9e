import type Docker from 'dockerode';
import { unanswered, wrap } from './engine-error.ts';

/**
 * Whether a listed container runs, is frozen, is down, or is down and about to be started by its restart
 * policy (Docker's `restarting`: it died, so a `die` came or is owed); undefined for a passing state
 * (created, removing).
 */
export type ListedRun = 'running' | 'paused' | 'exited' | 'restarting';

/** One container as the list shows it, the same for every engine: what an event would have told. */
export interface ListedContainer {
  readonly id: string;
  readonly name: string;
  readonly run: ListedRun | undefined;
  /** The HEALTHCHECK's state when the engine's list says it (Docker); undefined on Podman 4.3, whose list does not. */
  readonly health: 'starting' | 'healthy' | 'unhealthy' | undefined;
}

/** The fields of `GET /containers/json` read here (Docker 20.10 to 29, Podman 4.3's compatible API). */
interface RawListed {
  readonly Id: string;
  readonly Names?: readonly string[] | undefined;
  readonly State?: string | undefined;
  readonly Status?: string | undefined;
  /** API 1.52 and later; older engines put the health into Status only. */
  readonly Health?: { readonly Status?: string | undefined } | undefined;
}

/**
 * Reads a listed container. Docker's State is running, paused, exited, dead, created, restarting or
 * removing; Podman's (measured on 4.3) also stopped, stopping and configured. Docker before API 1.52 tells
 * the health only in Status (`Up 2 minutes (healthy)`, `(health: starting)`); Podman 4.3 not at all.
 */
export function listedContainer(raw: RawListed): ListedContainer {
  const state = (raw.State ?? '').toLowerCase();
  const run: ListedRun | undefined =
    state === 'running' || state === 'paused' || state === 'restarting' ? state : state === 'exited' || state === 'dead' || state === 'stopped' ? 'exited' : undefined;
  const told = (raw.Health?.Status ?? /\((healthy|unhealthy|health: starting)\)/.exec(raw.Status ?? '')?.[1] ?? '').replace('health: ', '');
  const health = told === 'healthy' || told === 'unhealthy' || told === 'starting' ? told : undefined;
  return { id: raw.Id, name: (raw.Names?.[0] ?? '').replace(/^\//, ''), run, health };
}

/**
 * Every container with all of `labels` (`key` or `key=value`), running or not: one `GET /containers/json`,
 * no inspect, so a check at 2,000 containers stays one call.
 */
export async function listStates(docker: Docker, labels: readonly string[], timeoutMs: number): Promise<ListedContainer[]> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    const list = await docker.listContainers({ all: true, ...(labels.length > 0 ? { filters: { label: [...labels] } } : {}), abortSignal });
    return list.map((c) => listedContainer(c as RawListed));
  } catch (err) {
    throw wrap('list containers', 'GET /containers/json', unanswered(err, abortSignal, timeoutMs));
  }
}
