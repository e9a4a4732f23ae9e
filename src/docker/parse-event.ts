import { canonicalAction } from './dialect.ts';
import type { ContainerEvent } from './types.ts';

/** Attributes Podman adds to every event that are not labels. */
const NOT_LABELS = new Set(['name', 'exitCode', 'image', 'signal', 'containerExitCode', 'podId', 'health_status']);

/**
 * A container joined or left a network (`docker network connect/disconnect`; Docker also sends them as
 * a container starts and stops): in Docker's dialect the actor is the network and the container an
 * attribute; Podman 4.3 (seen on its service) names the container as the actor, and its name, with no
 * `container` attribute. Both give `network_connect`/`network_disconnect` of the container. Other network
 * events (create, destroy) are readable and not followed: null.
 */
function networkEvent(action: string, actor: string, attrs: Readonly<Record<string, string>>, time: number): ContainerEvent | null {
  if (action !== 'connect' && action !== 'disconnect') return null;
  const docker = attrs.container !== undefined;
  const id = docker ? attrs.container : actor;
  if (!id) return null;
  return { id, name: docker ? '' : (attrs.name ?? ''), action: `network_${action}`, health: undefined, exitCode: undefined, signal: undefined, labels: {}, time };
}

/**
 * Parses one line of the engine's event stream (JSON lines, with or without the legacy `status`/`id`/
 * `from` fields) into Docker's dialect: `health_status: x` (Docker) and `health_status` with a top-level
 * `HealthStatus` or a `health_status` attribute (Podman) both give `health_status` with the state;
 * `died` reads `die`, `remove` reads `destroy`; a network's connect and disconnect of a container read
 * `network_connect`/`network_disconnect` (networkEvent). Null for a network event healer does not follow,
 * undefined for anything else it cannot read as an event of a container.
 */
export function parseEvent(line: string): ContainerEvent | null | undefined {
  let e: unknown;
  try {
    e = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof e !== 'object' || e === null) return undefined;
  const ev = e as {
    Type?: unknown;
    Action?: unknown;
    Actor?: { ID?: unknown; Attributes?: Record<string, unknown> };
    HealthStatus?: unknown;
    time?: unknown;
    timeNano?: unknown;
  };
  if ((ev.Type !== 'container' && ev.Type !== 'network') || typeof ev.Action !== 'string' || typeof ev.Actor?.ID !== 'string') return undefined;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(ev.Actor.Attributes ?? {})) if (typeof v === 'string') attrs[k] = v;
  const time = typeof ev.timeNano === 'number' ? Math.floor(ev.timeNano / 1e6) : typeof ev.time === 'number' ? ev.time * 1000 : 0;
  if (ev.Type === 'network') return networkEvent(ev.Action, ev.Actor.ID, attrs, time);
  const [raw = '', detail] = ev.Action.split(/:\s*/, 2);
  const action = canonicalAction(raw);
  const health = detail?.trim() || (typeof ev.HealthStatus === 'string' && ev.HealthStatus !== '' ? ev.HealthStatus : attrs.health_status);
  const exit = attrs.exitCode !== undefined ? Number(attrs.exitCode) : undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (!NOT_LABELS.has(k)) labels[k] = v;
  return {
    id: ev.Actor.ID,
    name: attrs.name ?? '',
    action,
    health: action === 'health_status' ? health : undefined,
    exitCode: exit !== undefined && Number.isFinite(exit) ? exit : undefined,
    signal: action === 'kill' ? attrs.signal : undefined,
    labels,
    time,
  };
}
