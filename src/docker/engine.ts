import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { engineKind, type EngineInfo } from './dialect.ts';
import { readEngineClock, type EngineClock } from './engine-clock.ts';
import { ExecRunner } from './exec.ts';
import { toContainerInfo } from './inspect.ts';
import { NetworkKinds } from './networks.ts';
import { taskStanding, type TaskStanding } from './services.ts';
import type { ContainerInfo } from './types.ts';
import { ANSWER_MS, EngineError, statusOf, unanswered, wrap } from './engine-error.ts';
import { tailLines, readTail } from './log-tail.ts';
import { demux } from './streams.ts';
import { openEvents } from './open-events.ts';
import { listStates, type ListedContainer } from './list-states.ts';

export { parseEvent } from './parse-event.ts';
export { ANSWER_MS, EngineError };
export { ExecStillRunning, ExecUnsettled } from './exec.ts';
export { demux };
export { FOLLOWED_ACTIONS, FOLLOWED_NETWORK_ACTIONS } from './open-events.ts';

/**
 * How long a read (ping, list, inspect, logs) may take. Every Engine API call has a bound: one hung
 * call must not hold what waits behind it (an alert behind its log lines, an action behind its inspect).
 */
export const READ_MS = 10_000;

/**
 * The most of a container's log read for one alert: a tail of 20 lines is small, unless the app logs huge
 * lines (alerts cut each line to 500 characters anyway); with LOG_READS reads at once, alerting's memory
 * for log lines stays under a megabyte in any storm.
 */
export const LOG_BYTES = 64 * 1024;

/**
 * The only code that talks to the Engine API. Every failure is an EngineError with the call named, so
 * "Docker unreachable" is never mistaken for "no containers".
 */
export class Engine {
  readonly docker: Docker;
  /** The drivers of the networks containers are on, for the address an empty probe host stands for. */
  readonly networks: NetworkKinds;
  private info: EngineInfo | undefined;
  private readonly execs: ExecRunner;
  /** `info` comes from connectDocker; without it the engine is recognised on the first openEvents. */
  constructor(docker: Docker, info?: EngineInfo) {
    this.docker = docker;
    this.networks = new NetworkKinds(docker, Date.now, READ_MS);
    this.info = info;
    this.execs = new ExecRunner(docker);
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

  /** The engine's clock against healer's `now` (engine-clock.ts): its StartedAt/FinishedAt are on it. */
  clock(now: () => number): Promise<EngineClock> {
    return readEngineClock(this.docker, now);
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
      return toContainerInfo(raw, await this.networks.of(raw.NetworkSettings?.Networks), this.info?.engine === 'docker');
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

  /**
   * Stops with `timeoutMs` of grace before SIGKILL; a container already stopped counts as stopped. A
   * paused one is stopped too, on every engine: Docker stops it, Podman (4.3) refuses with HTTP 500
   * ("is running or paused, refusing to clean up: container state improper") and leaves it paused, so
   * there it is unpaused and stopped again (a pause that came between healer's inspect and its stop must
   * not fail a quarantine on Podman alone).
   */
  async stop(id: string, timeoutMs: number): Promise<void> {
    const refused = await this.stopOnce(id, timeoutMs);
    if (refused === undefined) return;
    if (refused.status !== 500 || !(await this.inspect(id).catch(() => undefined))?.paused) throw refused;
    const abortSignal = AbortSignal.timeout(ANSWER_MS);
    try {
      await this.docker.getContainer(id).unpause({ abortSignal });
    } catch (err) {
      throw wrap(`unpause ${id.slice(0, 12)} to stop it`, 'POST /containers/{id}/unpause', unanswered(err, abortSignal, ANSWER_MS));
    }
    const again = await this.stopOnce(id, timeoutMs);
    if (again) throw again;
  }

  /** One stop call: undefined when stopped (or already), else the EngineError, its status kept. */
  private async stopOnce(id: string, timeoutMs: number): Promise<EngineError | undefined> {
    const abortSignal = AbortSignal.timeout(timeoutMs + ANSWER_MS);
    try {
      await this.docker.getContainer(id).stop({ t: Math.ceil(timeoutMs / 1000), abortSignal });
      return undefined;
    } catch (err) {
      if (statusOf(err) === 304) return undefined; // already stopped
      return wrap(`stop ${id.slice(0, 12)}`, 'POST /containers/{id}/stop', unanswered(err, abortSignal, timeoutMs + ANSWER_MS));
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
   * Runs a command inside the container for an exec probe (exec.ts: what a timeout leaves behind is kept
   * in check there). `phase` is told when the command is started and when its output ended; `answerMs`
   * bounds the inspect that tells, at a timeout, whether the command was running at all; `probe` names
   * the probe running it (its role): a command it left running holds up only that probe's next runs.
   */
  exec(id: string, argv: readonly string[], signal: AbortSignal, phase?: (p: 'command' | 'inspect') => void, answerMs = READ_MS, probe = ''): Promise<{ exitCode: number; output: string }> {
    return this.execs.run(id, argv, signal, phase, answerMs, probe);
  }

  /**
   * The last `tail` lines of the container's output (stdout and stderr), of at most LOG_BYTES (older
   * output is left out, a line cut at its start; a newest line longer than that is given by its start). A Swarm task's container on another node is not this
   * engine's: given its task id, a manager reads them from that node (`GET /tasks/{id}/logs`) when this
   * engine has no such container.
   */
  async logs(id: string, tail: number, taskId?: string): Promise<string[]> {
    const abortSignal = AbortSignal.timeout(READ_MS);
    const query = { stdout: true, stderr: true, tail, follow: false };
    const read = async (path: string, statusCodes: Record<number, true | string>): Promise<string[]> =>
      tailLines(readTail(await this.logStream(path, query, statusCodes, abortSignal), abortSignal, LOG_BYTES), tail);
    try {
      return await read(`/containers/${id}/logs?`, { 200: true, 404: 'no such container', 500: 'server error' });
    } catch (err) {
      if (taskId === undefined || statusOf(err) !== 404) {
        throw wrap(`logs of ${id.slice(0, 12)}`, 'GET /containers/{id}/logs', unanswered(err, abortSignal, READ_MS));
      }
    }
    try {
      return await read(`/tasks/${taskId}/logs?`, { 200: true, 404: 'no such task', 500: 'server error', 503: 'node is not part of a swarm' });
    } catch (err) {
      throw wrap(`logs of task ${taskId.slice(0, 12)}`, 'GET /tasks/{id}/logs', unanswered(err, abortSignal, READ_MS));
    }
  }

  /** A log read as a stream (dockerode reads a non-following one whole into memory before answering). */
  private logStream(path: string, query: object, statusCodes: Record<number, true | string>, abortSignal: AbortSignal): Promise<Readable> {
    const modem = this.docker.modem as { dial(o: object, cb: (err: Error | null, data: unknown) => void): void };
    return new Promise((resolve, reject) => {
      modem.dial({ path, method: 'GET', abortSignal, isStream: true, statusCodes, options: { ...query } }, (err, data) => (err ? reject(err) : resolve(data as Readable)));
    });
  }

  /**
   * Whether a running task container is still its orchestrator's current task (services.ts): how an
   * orphan made while healer was not looking is found. Never throws; a worker answers `unknown`.
   */
  taskStanding(taskId: string, containerId: string): Promise<TaskStanding> {
    return taskStanding(this.docker, taskId, containerId);
  }

  /** Opens the event stream from `since` (seconds), its answer bounded by READ_MS (open-events.ts). */
  async openEvents(sinceSeconds: number | undefined): Promise<Readable> {
    return openEvents(this.docker, (await this.describe()).engine, sinceSeconds, READ_MS);
  }

  /** Every container with all of `labels`, as the list shows it (list-states.ts): the event stream's stall check. */
  listStates(labels: readonly string[]): Promise<ListedContainer[]> {
    return listStates(this.docker, labels, READ_MS);
  }
}
