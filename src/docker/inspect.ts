import type Docker from 'dockerode';
import { healthcheckTiming, healthRuns } from './health.ts';
import { publishedPorts } from './ports.ts';
import type { ContainerInfo, NetworkKind, TaskInfo } from './types.ts';

/**
 * Reduces `docker inspect` JSON to ContainerInfo, with the kinds of its networks when known
 * (networks.ts), and whether the engine decides a restart at the exit (Docker; see ContainerInfo).
 * Pure, so it is tested from recorded JSON.
 */
export function toContainerInfo(i: Docker.ContainerInspectInfo, networkKinds?: Readonly<Record<string, NetworkKind>>, decidesRestartAtExit = false): ContainerInfo {
  const labels = i.Config?.Labels ?? {};
  const test = i.Config?.Healthcheck?.Test;
  const networks: Record<string, string> = {};
  for (const [name, n] of Object.entries(i.NetworkSettings?.Networks ?? {})) networks[name] = n?.IPAddress ?? '';
  const health = i.State?.Health?.Status;
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config?.Image ?? i.Image,
    labels,
    running: i.State?.Running === true,
    paused: i.State?.Paused === true,
    restarting: i.State?.Restarting === true,
    startedAt: Date.parse(i.State?.StartedAt ?? '') || 0,
    finishedAt: Date.parse(i.State?.FinishedAt ?? '') || 0,
    exitCode: i.State?.ExitCode ?? 0,
    oomKilled: i.State?.OOMKilled === true,
    restartCount: i.RestartCount ?? 0,
    restartPolicy: i.HostConfig?.RestartPolicy?.Name || 'no',
    restartRetries: i.HostConfig?.RestartPolicy?.MaximumRetryCount ?? 0,
    decidesRestartAtExit,
    autoRemove: i.HostConfig?.AutoRemove === true,
    health: health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : undefined,
    hasHealthcheck: Array.isArray(test) && test.length > 0 && test[0] !== 'NONE',
    healthcheck: healthcheckTiming(i.Config?.Healthcheck),
    healthLog: healthRuns(i.State?.Health),
    stopSignal: (i.Config as { StopSignal?: string } | undefined)?.StopSignal || undefined,
    stopTimeoutMs: stopTimeoutMs((i.Config as { StopTimeout?: number | null } | undefined)?.StopTimeout),
    networkMode: i.HostConfig?.NetworkMode ?? 'default',
    networks,
    published: publishedPorts(i.HostConfig?.NetworkMode ?? 'default', i.HostConfig?.PortBindings, i.NetworkSettings?.Ports),
    ...(networkKinds !== undefined && Object.keys(networkKinds).length > 0 ? { networkKinds } : {}),
    project: projectOf(labels),
    service: serviceOf(labels),
    task: swarmTask(labels),
  };
}

/** Docker's stop grace when a container sets none (moby's defaultStopTimeout on Linux; Podman's default too). */
const DEFAULT_STOP_TIMEOUT_S = 10;

/** Config.StopTimeout (seconds; Docker omits it when unset, Podman always gives it) in ms; see ContainerInfo. */
function stopTimeoutMs(seconds: number | null | undefined): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return DEFAULT_STOP_TIMEOUT_S * 1000;
  return seconds < 0 ? Infinity : seconds * 1000;
}

/**
 * The project a container belongs to, from its labels (compose's first, then a Swarm stack's). Shared
 * with the Swarm leader's view of a service (swarm-view.ts), so both agree on `discovery.project`.
 */
export function projectOf(labels: Readonly<Record<string, string>>): string | undefined {
  return labels['com.docker.compose.project'] ?? labels['com.docker.stack.namespace'];
}

/** The service a container belongs to, as its compose or stack file names it (shared like projectOf). */
export function serviceOf(labels: Readonly<Record<string, string>>): string | undefined {
  return labels['com.docker.compose.service'] ?? stackService(labels);
}

/**
 * A Swarm service's name as its stack file says it (`db` for `shop_db` in stack `shop`), so
 * `healer.depends_on` and the `service` label of metrics and alerts read as they do with compose.
 */
function stackService(labels: Readonly<Record<string, string>>): string | undefined {
  const name = labels['com.docker.swarm.service.name'];
  const stack = labels['com.docker.stack.namespace'];
  return name !== undefined && stack !== undefined && name.startsWith(`${stack}_`) ? name.slice(stack.length + 1) : name;
}

/**
 * A Swarm task container carries its task, service and node in labels; the task name is
 * `<service>.<slot>.<task id>` for a replicated service and `<service>.<node id>.<task id>` for a global one.
 */
export function swarmTask(labels: Readonly<Record<string, string>>): TaskInfo | undefined {
  const taskId = labels['com.docker.swarm.task.id'];
  const service = labels['com.docker.swarm.service.name'];
  if (!taskId || !service) return undefined;
  const node = labels['com.docker.swarm.node.id'] ?? '';
  const name = labels['com.docker.swarm.task.name'] ?? '';
  const middle = name.startsWith(`${service}.`) && name.endsWith(`.${taskId}`) ? name.slice(service.length + 1, name.length - taskId.length - 1) : '';
  return { taskId, service, slot: /^\d+$/.test(middle) ? Number(middle) : undefined, node };
}
