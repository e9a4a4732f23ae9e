import type Docker from 'dockerode';
import { READ_MS } from './engine.ts';
import type { ServiceLabels } from './types.ts';

/** The labels of one orchestrated service, from a manager's `GET /services` answer. Pure, tested from a recording. */
export function toServiceLabels(s: Docker.Service): ServiceLabels {
  return {
    name: s.Spec?.Name ?? s.ID,
    labels: s.Spec?.Labels ?? {},
    // TaskTemplate is a union in the typings (container, plugin, network attachment): only a container's has labels.
    containerLabels: (s.Spec?.TaskTemplate as { ContainerSpec?: { Labels?: Record<string, string> } } | undefined)?.ContainerSpec?.Labels ?? {},
  };
}

/**
 * The services an orchestrator runs, with their own labels and the labels their containers get; only a
 * Swarm manager can answer. `undefined` with the reason when this engine cannot (not a manager, not in
 * a swarm, a socket proxy without SERVICES=1): the callers only warn, so this is not an error.
 */
export async function serviceLabels(docker: Docker): Promise<{ services: ServiceLabels[] } | { services: undefined; why: string }> {
  try {
    const list = await docker.listServices({ abortSignal: AbortSignal.timeout(READ_MS) } as Docker.ServiceListOptions);
    return { services: list.map(toServiceLabels) };
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 503) return { services: undefined, why: 'this engine is not a Swarm manager' };
    if (status === 403) return { services: undefined, why: 'GET /services was refused (a socket proxy must allow SERVICES=1)' };
    return { services: undefined, why: `GET /services failed: ${(err as Error).message}` };
  }
}
