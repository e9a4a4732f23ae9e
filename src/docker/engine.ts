import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { engineKind, eventFilter, type EngineInfo } from './dialect.ts';
import { toContainerInfo } from './inspect.ts';
import { NetworkKinds } from './networks.ts';
import { taskStanding, type TaskStanding } from './services.ts';
import type { ContainerInfo } from './types.ts';
import { demux, readBounded } from './streams.ts';
import { tooOldHint } from './versions.ts';

export { parseEvent } from './parse-event.ts';

/** The engine refused or failed a call; `status` is the HTTP status when the engine answered. */
export class EngineError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'EngineError';
    this.status = status;
  }
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/**
 * What a socket proxy must allow for each call, in tecnativa/docker-socket-proxy's terms (the common
 * one); said when the call is refused with 403, so a missing permission is named, not guessed at.
 */
const ALLOW: Readonly<Record<string, string>> = {
  'GET /_ping': 'PING=1',
  'GET /version': 'VERSION=1',
  'GET /containers/json': 'CONTAINERS=1',
  'GET /containers/{id}/json': 'CONTAINERS=1',
  'GET /containers/{id}/logs': 'CONTAINERS=1',
  'GET /events': 'EVENTS=1',
  'POST /containers/{id}/restart': 'POST=1 and ALLOW_RESTARTS=1',
  'POST /containers/{id}/start': 'POST=1 and ALLOW_START=1 (or CONTAINERS=1)',
  'POST /containers/{id}/stop': 'POST=1 and ALLOW_STOP=1 (or ALLOW_RESTARTS=1)',
  'DELETE /containers/{id}': 'POST=1 and CONTAINERS=1 (Swarm tasks only)',
  'POST /containers/{id}/exec': 'POST=1, CONTAINERS=1 and EXEC=1 (exec probes only)',
};

function wrap(what: string, call: keyof typeof ALLOW, err: unknown): EngineError {
  const status = statusOf(err);
  const detail = ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message).trim().replace(/\s+/g, ' ');
  const refused =
    status === 400 && tooOldHint(detail) !== undefined
      ? `; ${tooOldHint(detail) ?? ''}`
      : status === 403 ? `; the Engine API call ${call} was refused (a socket proxy in front of the engine must allow it: ${ALLOW[call] ?? 'see the README'})` : '';
  return new EngineError(`${what} failed${status ? ` with HTTP ${status}` : ''}: ${detail}${refused}`, status, err);
}

/** How long the engine may take to answer an action beyond the container's own stop grace. */
export const ANSWER_MS = 10_000;

/** An aborted call reads as what it was: the engine did not answer in time. */
function unanswered(err: unknown, signal: AbortSignal, ms: number): unknown {
  return signal.aborted ? new Error(`the engine did not answer within ${Math.round(ms / 1000)}s`, { cause: err }) : err;
}

/**
 * How long a read (ping, list, inspect, logs) may take. Every Engine API call has a bound: one hung
 * call must not hold what waits behind it (an alert behind its log lines, an action behind its inspect).
 */
export const READ_MS = 10_000;

/** Event actions the watchdog follows; the engine filters the stream to these. */
export const FOLLOWED_ACTIONS = ['start', 'die', 'stop', 'kill', 'destroy', 'restart', 'oom', 'health_status', 'rename', 'pause', 'unpause', 'update'] as const;

/**
 * The only code that talks to the Engine API. Every failure is an EngineError with the call named, so
 * "Docker unreachable" is never mistaken for "no containers".
 */
export class Engine {
  readonly docker: Docker;
  /** The drivers of the networks containers are on, for the address an empty probe host stands for. */
  readonly networks: NetworkKinds;
  private info: EngineInfo | undefined;
  /** `info` comes from connectDocker; without it the engine is recognised on the first openEvents. */
  constructor(docker: Docker, info?: EngineInfo) {
    this.docker = docker;
    this.networks = new NetworkKinds(docker, Date.now, READ_MS);
    this.info = info;
  }

  /** Which engine and API version healer speaks to, for the start-up log, /api/status and `healer check`. */
  async describe(): Promise<EngineInfo> {
    if (this.info) return this.info;
    try {
      const v = await this.docker.version();
      const pinned = (this.docker.modem as { version?: string }).version?.replace(/^v/, '');
      this.info = { engine: engineKind(v), version: v.Version, apiVersion: pinned ?? v.ApiVersion };
      return this.info;
    } catch (err) {
      throw wrap('version', 'GET /version', err);
    }
  }

  async ping(): Promise<void> {
    const abortSignal = AbortSignal.timeout(READ_MS);
    try {
      // dockerode's types omit ping's options; its code reads abortSignal from them.
      await (this.docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal });
    } catch (err) {
      throw wrap('ping', 'GET /_ping', unanswered(err, abortSignal, READ_MS));
    }
  }

  /** Ids of all containers, running or not. */
  async listIds(): Promise<string[]> {
    const abortSignal = AbortSignal.timeout(READ_MS);
    try {
      const list = await this.docker.listContainers({ all: true, abortSignal });
      return list.map((c) => c.Id);
    } catch (err) {
      throw wrap('list containers', 'GET /containers/json', unanswered(err, abortSignal, READ_MS));
    }
  }

  /** The container, or undefined when it no longer exists. */
  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const abortSignal = AbortSignal.timeout(READ_MS);
    try {
      const raw = await this.docker.getContainer(id).inspect({ abortSignal });
      return toContainerInfo(raw, await this.networks.of(raw.NetworkSettings?.Networks));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw wrap(`inspect ${id.slice(0, 12)}`, 'GET /containers/{id}/json', unanswered(err, abortSignal, READ_MS));
    }
  }

  /**
   * Restarts with `timeoutMs` of grace before SIGKILL. The call itself is bounded (grace + ANSWER_MS): an
   * engine that never answers must not hold one of the few restart slots forever.
   */
  async restart(id: string, timeoutMs: number): Promise<void> {
    const abortSignal = AbortSignal.timeout(timeoutMs + ANSWER_MS);
    try {
      await this.docker.getContainer(id).restart({ t: Math.ceil(timeoutMs / 1000), abortSignal });
    } catch (err) {
      throw wrap(`restart ${id.slice(0, 12)}`, 'POST /containers/{id}/restart', unanswered(err, abortSignal, timeoutMs + ANSWER_MS));
    }
  }

  async start(id: string): Promise<void> {
    const abortSignal = AbortSignal.timeout(ANSWER_MS);
    try {
      await this.docker.getContainer(id).start({ abortSignal });
    } catch (err) {
      if (statusOf(err) === 304) return; // already running
      throw wrap(`start ${id.slice(0, 12)}`, 'POST /containers/{id}/start', unanswered(err, abortSignal, ANSWER_MS));
    }
  }

  async stop(id: string, timeoutMs: number): Promise<void> {
    const abortSignal = AbortSignal.timeout(timeoutMs + ANSWER_MS);
    try {
      await this.docker.getContainer(id).stop({ t: Math.ceil(timeoutMs / 1000), abortSignal });
    } catch (err) {
      if (statusOf(err) === 304) return; // already stopped
      throw wrap(`stop ${id.slice(0, 12)}`, 'POST /containers/{id}/stop', unanswered(err, abortSignal, timeoutMs + ANSWER_MS));
    }
  }

  /**
   * Removes a container (stopping it first if it runs, SIGKILL). For orchestrated containers only: the
   * orchestrator notices and replaces it. A container already gone or being removed counts as removed.
   */
  async remove(id: string): Promise<void> {
    const abortSignal = AbortSignal.timeout(ANSWER_MS);
    try {
      await this.docker.getContainer(id).remove({ force: true, abortSignal });
    } catch (err) {
      if (statusOf(err) === 404) return;
      if (statusOf(err) === 409 && /already in progress/i.test((err as Error).message)) return;
      throw wrap(`remove ${id.slice(0, 12)}`, 'DELETE /containers/{id}', unanswered(err, abortSignal, ANSWER_MS));
    }
  }

  /**
   * Runs a command inside the container and returns its exit code and (bounded) output. The engine
   * cannot kill an exec'd process, so on abort healer stops waiting and closes the stream.
   */
  async exec(id: string, argv: readonly string[], signal: AbortSignal): Promise<{ exitCode: number; output: string }> {
    let stream: Readable | undefined;
    try {
      const exec = await this.docker.getContainer(id).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true, abortSignal: signal });
      signal.throwIfAborted();
      stream = await exec.start({ hijack: true, stdin: false, abortSignal: signal });
      const output = await readBounded(stream, signal, 4096);
      const info = await exec.inspect({ abortSignal: signal });
      return { exitCode: info.ExitCode ?? -1, output };
    } catch (err) {
      stream?.destroy();
      if (signal.aborted) throw signal.reason;
      throw wrap(`exec in ${id.slice(0, 12)}`, 'POST /containers/{id}/exec', err);
    }
  }

  /**
   * The last `tail` lines of the container's output (stdout and stderr). A Swarm task's container on
   * another node is not this engine's: given its task id, a manager reads them from that node
   * (`GET /tasks/{id}/logs`) when this engine has no such container.
   */
  async logs(id: string, tail: number, taskId?: string): Promise<string[]> {
    const abortSignal = AbortSignal.timeout(READ_MS);
    const lines = (raw: unknown): string[] =>
      demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
        .split('\n')
        .filter((l) => l !== '')
        .slice(-tail);
    const opts = { stdout: true, stderr: true, tail, follow: false as const, abortSignal };
    try {
      return lines(await this.docker.getContainer(id).logs(opts));
    } catch (err) {
      if (taskId === undefined || (err as { statusCode?: number }).statusCode !== 404) {
        throw wrap(`logs of ${id.slice(0, 12)}`, 'GET /containers/{id}/logs', unanswered(err, abortSignal, READ_MS));
      }
    }
    try {
      // dockerode has Task.logs (GET /tasks/{id}/logs); its type declarations leave it out.
      const task = this.docker.getTask(taskId) as unknown as { logs(o: typeof opts): Promise<unknown> };
      return lines(await task.logs(opts));
    } catch (err) {
      throw wrap(`logs of task ${taskId.slice(0, 12)}`, 'GET /tasks/{id}/logs', unanswered(err, abortSignal, READ_MS));
    }
  }

  /**
   * Whether a running task container is still its orchestrator's current task (services.ts): how an
   * orphan made while healer was not looking is found. Never throws; a worker answers `unknown`.
   */
  taskStanding(taskId: string, containerId: string): Promise<TaskStanding> {
    return taskStanding(this.docker, taskId, containerId);
  }

  /** Opens the container event stream from `since` (seconds), filtered to FOLLOWED_ACTIONS in the engine's names. */
  async openEvents(sinceSeconds: number | undefined): Promise<Readable> {
    const { engine } = await this.describe();
    try {
      return (await this.docker.getEvents({
        ...(sinceSeconds !== undefined ? { since: sinceSeconds } : {}),
        filters: { type: ['container'], event: eventFilter(engine, FOLLOWED_ACTIONS) },
      })) as Readable;
    } catch (err) {
      throw wrap('follow events', 'GET /events', err);
    }
  }
}
