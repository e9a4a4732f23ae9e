import { canonicalAction } from './dialect.ts';
import type { ContainerEvent } from './types.ts';

/** Attributes Podman adds to every event that are not labels. */
const NOT_LABELS = new Set(['name', 'exitCode', 'image', 'signal', 'containerExitCode', 'podId', 'health_status']);

/**
 * Parses one line of the engine's event stream (JSON lines, with or without the legacy `status`/`id`/
 * `from` fields) into Docker's dialect: `health_status: x` (Docker) and `health_status` with a top-level
 * `HealthStatus` or a `health_status` attribute (Podman) both give `health_status` with the state;
 * `died` reads `die`, `remove` reads `destroy`. Undefined for anything that is not a container event.
 */
export function parseEvent(line: string): ContainerEvent | undefined {
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
  if (ev.Type !== 'container' || typeof ev.Action !== 'string' || typeof ev.Actor?.ID !== 'string') return undefined;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(ev.Actor.Attributes ?? {})) if (typeof v === 'string') attrs[k] = v;
  const [raw = '', detail] = ev.Action.split(/:\s*/, 2);
  const action = canonicalAction(raw);
  const health = detail?.trim() || (typeof ev.HealthStatus === 'string' && ev.HealthStatus !== '' ? ev.HealthStatus : attrs.health_status);
  const time =
    typeof ev.timeNano === 'number' ? Math.floor(ev.timeNano / 1e6) : typeof ev.time === 'number' ? ev.time * 1000 : 0;
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
