import type Docker from 'dockerode';
import { READ_MS } from './engine.ts';
import { ImageLabels, newLookups } from './image-labels.ts';
import { projectOf, serviceOf } from './inspect.ts';
import { toServiceLabels } from './services.ts';
import type { ServiceLabels } from './types.ts';

/**
 * Whether this engine is the orchestrator's leader, the one manager whose view of the tasks the
 * cluster-wide crash-loop count is taken from. `unknown`: it cannot say (a socket proxy refuses, the
 * swarm has no leader now, the engine failed); the caller says why once and tries again later.
 * `manager`: GET /info said this engine is a manager (only whether it leads is unknown), so it may still
 * read the services and tasks.
 */
export type Leadership =
  | { readonly kind: 'leader' }
  | { readonly kind: 'follower'; readonly why: string }
  | { readonly kind: 'unknown'; readonly why: string; readonly manager?: boolean };

/**
 * A service as the cluster count needs it: its id (tasks name it by id) with its labels.
 * `containerLabels` are the labels its task containers get: its image's (when this engine has the image)
 * under its ContainerSpec's, merged as the engine merges them, so the leader reads what each node reads.
 */
export interface ClusterService extends ServiceLabels {
  readonly id: string;
  /** The stack it belongs to and its name in the stack file, as a task container's project and service read. */
  readonly project: string | undefined;
  readonly shortName: string;
  /** Labels its containers get from its image only (not in its ContainerSpec), for `healer check` to warn about. */
  readonly imageOnly?: readonly string[];
}

/**
 * A `GET /services` entry reduced to ClusterService, with the labels of its image if this engine has it.
 * Project and short name are read from the container labels exactly as a node reads them from a task
 * container (inspect.ts): a service label (deploy.labels) never reaches the containers. Pure, tested from recordings.
 */
export function toClusterService(s: Pick<Docker.Service, 'ID' | 'Spec'>, imageLabels: Readonly<Record<string, string>> = {}): ClusterService {
  const l = toServiceLabels(s);
  const containerLabels = { ...imageLabels, ...l.containerLabels };
  const asTask = { ...containerLabels, 'com.docker.swarm.service.name': l.name };
  const imageOnly = Object.keys(imageLabels).filter((k) => !(k in l.containerLabels));
  return { id: s.ID, ...l, containerLabels, project: projectOf(asTask), shortName: serviceOf(asTask) ?? l.name, ...(imageOnly.length > 0 ? { imageOnly } : {}) };
}

/** The image a service's tasks run (its digest pin dropped, as the engine names it in a task). */
export function serviceImage(s: Pick<Docker.Service, 'Spec'>): string {
  const spec = (s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec;
  return spec?.Image ?? '';
}

/**
 * One task of a service, wherever in the cluster it runs, in orchestrator-neutral terms. `failed` is
 * what the orchestrator says of a task that ended by itself (an exit, an unhealthy container, a container
 * removed under it); tasks it stopped (an update, a scale-down) are not failed.
 */
export interface ClusterTask {
  readonly taskId: string;
  /** The service's full name (`shop_web`): slot keys are made of it, as from a task container's labels. */
  readonly service: string;
  /** Replica number; undefined for a global service's task. */
  readonly slot: number | undefined;
  /** The node's id; `nodeName` its hostname, when the manager named it (GET /nodes). */
  readonly node: string;
  readonly nodeName?: string | undefined;
  /** Failed by itself, or rejected (Swarm could not start it there: a missing bind source, an image it cannot pull). */
  readonly failed: boolean;
  /** When the task reached its state; 0 when the manager's timestamp is missing, unreadable or Go's zero time. */
  readonly at: number;
  readonly exitCode: number | undefined;
  /** The orchestrator's word on why it failed (`task: non-zero exit (3)`, `unhealthy container`). */
  readonly err: string | undefined;
  readonly containerId: string | undefined;
  readonly image: string;
}

/** What a manager's `GET /tasks` answers per task (moby API `Task`), as far as it is read. */
export interface RawTask {
  ID?: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { Timestamp?: string; State?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

/** `/info` and `/nodes/{id}` reduced to leadership. Pure, tested from recordings. */
export function toLeadership(info: { Swarm?: { NodeID?: string; ControlAvailable?: boolean; LocalNodeState?: string } }, node?: { ManagerStatus?: { Leader?: boolean } }): Leadership {
  const s = info.Swarm;
  if (!s?.NodeID) return { kind: 'follower', why: `this engine is not in a swarm (${s?.LocalNodeState || 'inactive'})` };
  if (s.ControlAvailable !== true) return { kind: 'follower', why: 'this engine is a Swarm worker' };
  if (node === undefined) return { kind: 'unknown', why: 'the manager did not describe its own node', manager: true };
  return node.ManagerStatus?.Leader === true ? { kind: 'leader' } : { kind: 'follower', why: 'this engine is a Swarm manager but not the leader' };
}

/** An RFC 3339 time as epoch ms; 0 for none, an unreadable one and Go's zero time (`0001-01-01T00:00:00Z`). */
function epochMs(text: string | undefined): number {
  const ms = Date.parse(text ?? '');
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * Tasks of `GET /tasks` reduced to ClusterTask; tasks of services not in `services` are left out;
 * `nodes` names node ids (hostnames). Pure, tested from recordings.
 */
export function toClusterTasks(raw: readonly RawTask[], services: readonly ClusterService[], nodes: ReadonlyMap<string, string> = new Map()): ClusterTask[] {
  const byId = new Map(services.map((s) => [s.id, s]));
  const out: ClusterTask[] = [];
  for (const t of raw) {
    const svc = t.ServiceID !== undefined ? byId.get(t.ServiceID) : undefined;
    if (!svc || !t.ID) continue;
    const cs = t.Status?.ContainerStatus;
    out.push({
      taskId: t.ID,
      service: svc.name,
      slot: typeof t.Slot === 'number' && t.Slot > 0 ? t.Slot : undefined,
      node: t.NodeID ?? '',
      nodeName: nodes.get(t.NodeID ?? ''),
      failed: t.Status?.State === 'failed' || t.Status?.State === 'rejected',
      at: epochMs(t.Status?.Timestamp),
      exitCode: typeof cs?.ExitCode === 'number' && cs.ExitCode !== 0 ? cs.ExitCode : undefined,
      err: t.Status?.Err || undefined,
      containerId: cs?.ContainerID || undefined,
      image: (t.Spec?.ContainerSpec?.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
    });
  }
  return out;
}

/** Why a manager call failed, in words an operator acts on; `lasting`: asking again will not help soon. */
function refusal(call: string, allow: string, err: unknown): { why: string } {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 403) return { why: `${call} was refused (a socket proxy must allow ${allow})` };
  if (status === 503) return { why: `${call}: this engine is not a Swarm manager or the swarm has no leader now` };
  return { why: `${call} failed: ${((err as Error).message || String(err)).trim().slice(0, 200)}` };
}

/**
 * A manager's view of the swarm: who leads, which services exist, where their tasks stand. Three or four
 * bounded Engine API calls per look (`/info`, `/nodes/{id}`, `/services`, `/tasks`), plus the image
 * lookups (image-labels.ts); never throws. `now` times how long an absent image is remembered (monotonic:
 * a wall-clock step back must not keep it absent for the step).
 */
export class SwarmView {
  private readonly docker: Docker;
  private readonly images: ImageLabels;
  constructor(docker: Docker, now: () => number = () => performance.now()) {
    this.docker = docker;
    this.images = new ImageLabels(docker, now);
  }

  async leadership(): Promise<Leadership> {
    let info: Parameters<typeof toLeadership>[0];
    try {
      // dockerode's types omit info's options; its code reads abortSignal from them.
      const ask = this.docker.info.bind(this.docker) as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
      info = (await ask({ abortSignal: AbortSignal.timeout(READ_MS) })) as typeof info;
    } catch (err) {
      return { kind: 'unknown', ...refusal('GET /info', 'INFO=1', err) };
    }
    const first = toLeadership(info);
    if (first.kind !== 'unknown') return first;
    try {
      const node = (await this.docker.getNode(info.Swarm?.NodeID ?? '').inspect({ abortSignal: AbortSignal.timeout(READ_MS) })) as Parameters<typeof toLeadership>[1];
      return toLeadership(info, node);
    } catch (err) {
      return { kind: 'unknown', manager: true, ...refusal('GET /nodes/{id}', 'NODES=1', err) };
    }
  }

  /** Node ids to hostnames, so an alert names the machine; empty when the manager will not say (NODES=1). */
  private async nodeNames(): Promise<Map<string, string>> {
    try {
      const nodes = (await this.docker.listNodes({ abortSignal: AbortSignal.timeout(READ_MS) } as object)) as { ID?: string; Description?: { Hostname?: string } }[];
      return new Map(nodes.flatMap((n) => (n.ID && n.Description?.Hostname ? [[n.ID, n.Description.Hostname] as const] : [])));
    } catch {
      return new Map();
    }
  }

  /**
   * The services with their images' labels. `images`: why images could not be read (a socket proxy
   * refusing IMAGES=1), so labels only in images are not seen: the caller says so.
   */
  async services(): Promise<{ services: ClusterService[]; images?: string } | { services: undefined; why: string }> {
    try {
      const list = await this.docker.listServices({ abortSignal: AbortSignal.timeout(READ_MS) } as Docker.ServiceListOptions);
      const seen = newLookups();
      const out: ClusterService[] = [];
      for (const s of list) out.push(toClusterService(s, await this.images.of(serviceImage(s), seen)));
      return { services: out, ...(seen.refused !== undefined ? { images: seen.refused } : {}) };
    } catch (err) {
      return { services: undefined, ...refusal('GET /services', 'SERVICES=1', err) };
    }
  }

  /** The tasks of `services` (filtered by the engine), every state, as many as the swarm keeps. */
  async tasks(services: readonly ClusterService[]): Promise<{ tasks: ClusterTask[] } | { tasks: undefined; why: string }> {
    if (services.length === 0) return { tasks: [] };
    try {
      const opts = { filters: JSON.stringify({ service: services.map((s) => s.id) }), abortSignal: AbortSignal.timeout(READ_MS) };
      const raw = (await this.docker.listTasks(opts)) as RawTask[];
      return { tasks: toClusterTasks(raw, services, await this.nodeNames()) };
    } catch (err) {
      return { tasks: undefined, ...refusal('GET /tasks', 'TASKS=1', err) };
    }
  }
}
