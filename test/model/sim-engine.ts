import { PassThrough, type Readable } from 'node:stream';
import { EngineError, type Engine } from '../../src/docker/engine.ts';
import { engineClockFrom } from '../../src/docker/engine-clock.ts';
import { swarmTask } from '../../src/docker/inspect.ts';
import type { ListedContainer } from '../../src/docker/list-states.ts';
import type { TaskStanding } from '../../src/docker/services.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Clock } from '../../src/watchdog/clock.ts';

/** What the application inside a container does; the model's probers and the engine follow it. */
export type AppMode = 'ok' | 'hang' | 'flap' | 'crashloop';

export interface SimContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  paused: boolean;
  exitCode: number;
  startedAt: number;
  finishedAt: number;
  restartCount: number;
  restartPolicy: string;
  hasHealthcheck: boolean;
  health: 'starting' | 'healthy' | 'unhealthy' | undefined;
  app: AppMode;
  flip: boolean;
  /** Stopped by an operator (docker stop, kill TERM/KILL) and not started since: healer must leave it. */
  operatorStopped: boolean;
  /** Since when the app has been running and passing without a break (undefined: it is not). */
  okSince: number | undefined;
  /** How long it had been so when it last stopped passing: at least backoff.reset means a fresh start. */
  healthyFor: number;
}

/** One engine call healer made that changes a container, as the invariants judge it. */
export interface ActionCall {
  readonly kind: 'restart' | 'start' | 'stop' | 'remove';
  readonly id: string;
  readonly at: number;
  readonly healer: number;
  /** The container as it was when the call arrived. */
  readonly before: Readonly<SimContainer> | undefined;
}

const ENGINE_OWNER = -1;

/**
 * An in-memory Docker Engine 20.10 for the model test: containers, the event sequences the real engine
 * emits for each operation (checked against `docker events` on 20.10.24), an event stream that can be
 * cut, and engine calls that can be slowed or refused. Each healer process gets its own `Engine`
 * (`connect(gen)`); after `kill(gen)` its calls never answer, as for a process that is gone.
 */
export class SimEngine {
  readonly containers = new Map<string, SimContainer>();
  readonly actions: ActionCall[] = [];
  /** Engine actions of each healer process being carried out (a call counted from arrival to answer). */
  private readonly inFlight = new Map<number, number>();
  maxInFlight = 0;
  /** How far the engine's clock is ahead of healer's (behind when negative): its StartedAt, FinishedAt, event times. */
  skewMs = 0;
  /** Refuse the next restart/start call with HTTP 500. */
  refuseNext = 0;
  /** The next restart/start/stop call takes this long (simulated) to answer. */
  slowNextMs = 0;
  /** Swarm tasks whose container went down: Swarm holds them as failed or complete, whatever runs later. */
  readonly endedTasks = new Set<string>();
  /** A Swarm manager answers `/tasks`; a worker (false) answers 503. */
  manager = true;
  /** `/tasks` questions healer asked. */
  taskAsks = 0;
  /** While true, events are dropped: the streams stay open but silent until healer reconnects. */
  stalled = false;
  private readonly streams = new Map<number, Set<PassThrough>>();
  private readonly dead = new Set<number>();
  private nextId = 1;
  private readonly clock: Clock;
  private readonly now: () => number;

  constructor(sim: { view(owner: number): Clock; now(): number }) {
    this.clock = sim.view(ENGINE_OWNER);
    this.now = () => sim.now();
  }

  // ---- the operator's and the application's side ----

  create(name: string, labels: Record<string, string>, opts: { restartPolicy?: string; healthcheck?: boolean; app?: AppMode } = {}): SimContainer {
    const id = (this.nextId++).toString(16).padStart(64, 'c');
    const c: SimContainer = {
      id,
      name,
      labels,
      running: false,
      paused: false,
      exitCode: 0,
      startedAt: 0,
      finishedAt: 0,
      restartCount: 0,
      restartPolicy: opts.restartPolicy ?? 'no',
      hasHealthcheck: opts.healthcheck ?? false,
      health: undefined,
      app: opts.app ?? 'ok',
      flip: false,
      operatorStopped: false,
      okSince: undefined,
      healthyFor: 0,
    };
    this.containers.set(id, c);
    return c;
  }

  byName(name: string): SimContainer | undefined {
    for (const c of this.containers.values()) if (c.name === name) return c;
    return undefined;
  }

  /** `docker start` (and the start half of every restart). */
  startNow(c: SimContainer): void {
    c.running = true;
    c.paused = false;
    c.operatorStopped = false;
    c.startedAt = this.now();
    c.okSince = c.app === 'ok' ? this.now() : undefined;
    if (c.app !== 'ok') c.healthyFor = 0; // started into the same failure: no healthy time in between
    c.health = c.hasHealthcheck ? 'starting' : undefined;
    this.emit(c, 'start');
    if (c.app === 'crashloop') this.crash(c, 3);
    else if (c.hasHealthcheck && c.app === 'hang') this.clock.setTimeout(() => this.healthVerdict(c), 1_000);
  }

  /** The process exits on its own (a crash); the engine's restart policy may bring it back. */
  crash(c: SimContainer, code: number): void {
    if (!c.running || c.paused) return;
    this.down(c, code);
    if (c.restartPolicy === 'always' || (c.restartPolicy === 'on-failure' && code !== 0)) {
      // The restart manager: die, then start after a delay that doubles from 100 ms; RestartCount counts these.
      this.clock.setTimeout(() => {
        if (this.containers.get(c.id) === c && !c.running) {
          c.restartCount++;
          this.startNow(c);
        }
      }, 100 * 2 ** Math.min(c.restartCount, 8));
    }
  }

  /** `docker stop`: kill (SIGTERM) → die (143) → stop. */
  stopNow(c: SimContainer): void {
    if (!c.running) return;
    if (c.paused) this.unpause(c);
    this.emit(c, 'kill', { signal: '15' });
    this.down(c, 143);
    this.emit(c, 'stop');
  }

  /** `docker kill -s SIG`: kill; HUP is handled by the app (a reload), TERM and KILL end it. */
  kill(c: SimContainer, signal: 'HUP' | 'TERM' | 'KILL'): void {
    if (!c.running || c.paused) return;
    this.emit(c, 'kill', { signal: signal === 'HUP' ? '1' : signal === 'TERM' ? '15' : '9' });
    if (signal === 'HUP') return;
    this.down(c, signal === 'TERM' ? 143 : 137);
  }

  /** `docker restart`: kill → die → stop → start → restart (a stopped container: start → restart). */
  restartNow(c: SimContainer): void {
    if (c.running) this.stopNow(c);
    this.startNow(c);
    this.emit(c, 'restart');
  }

  pause(c: SimContainer): void {
    if (!c.running || c.paused) return;
    c.paused = true;
    this.unwell(c);
    this.emit(c, 'pause');
  }

  unpause(c: SimContainer): void {
    if (!c.paused) return;
    c.paused = false;
    if (c.app === 'ok' && c.running) c.okSince = this.now();
    this.emit(c, 'unpause');
  }

  /** `docker rm -f`: kill (SIGKILL) → die (137) → destroy. */
  remove(c: SimContainer): void {
    if (c.running) {
      if (c.paused) this.unpause(c);
      this.emit(c, 'kill', { signal: '9' });
      this.down(c, 137);
    }
    this.containers.delete(c.id);
    this.emit(c, 'destroy');
  }

  /** The application changes behaviour; a HEALTHCHECK reports the change after its retries. */
  setApp(c: SimContainer, mode: AppMode): void {
    if (mode !== 'ok') this.unwell(c);
    else if (c.app !== 'ok' && c.running && !c.paused) c.okSince = this.now();
    c.app = mode;
    if (c.hasHealthcheck && c.running) this.clock.setTimeout(() => this.healthVerdict(c), 1_000);
  }

  private healthVerdict(c: SimContainer): void {
    if (this.containers.get(c.id) !== c || !c.running || c.paused) return;
    const h = c.app === 'ok' ? 'healthy' : c.app === 'flap' ? (c.health === 'healthy' ? 'unhealthy' : 'healthy') : 'unhealthy';
    if (h === c.health) return; // the engine reports a change only
    c.health = h;
    this.emit(c, 'health_status', {}, `health_status: ${h}`);
  }

  /** What a probe of the container finds now (paused: the probe times out). */
  probe(id: string): boolean {
    const c = this.containers.get(id);
    if (!c || !c.running || c.paused) return false;
    if (c.app === 'hang' || c.app === 'crashloop') return false;
    if (c.app === 'flap') return (c.flip = !c.flip);
    return true;
  }

  /** The app stops passing (a crash, a hang, a pause): remember how long it had passed. */
  private unwell(c: SimContainer): void {
    if (c.okSince !== undefined) c.healthyFor = this.now() - c.okSince;
    c.okSince = undefined;
  }

  private down(c: SimContainer, code: number): void {
    this.unwell(c);
    c.running = false;
    c.paused = false;
    c.exitCode = code;
    c.finishedAt = this.now();
    c.health = c.hasHealthcheck ? 'unhealthy' : undefined;
    const task = c.labels['com.docker.swarm.task.id'];
    if (task) this.endedTasks.add(task);
    this.emit(c, 'die', { exitCode: String(code) });
  }

  // ---- the event stream ----

  private emit(c: SimContainer, action: string, attrs: Record<string, string> = {}, fullAction = action): void {
    // A stalled stream stays open and delivers nothing (the stall check's case).
    if (this.stalled) return;
    const line = JSON.stringify({
      Type: 'container',
      Action: fullAction,
      Actor: { ID: c.id, Attributes: { ...c.labels, name: c.name, image: 'sim:1', ...attrs } },
      time: Math.floor((this.now() + this.skewMs) / 1000),
      timeNano: (this.now() + this.skewMs) * 1e6,
    });
    for (const set of this.streams.values()) for (const s of set) s.write(`${line}\n`);
  }

  /** Cuts every event stream (a proxy restart, the engine restarting its API); healer reconnects. */
  cutStreams(): void {
    for (const set of this.streams.values()) for (const s of set) s.destroy();
    for (const set of this.streams.values()) set.clear();
  }

  /** healer process `gen` died: its streams go, its calls never answer. */
  killHealer(gen: number): void {
    this.dead.add(gen);
    for (const s of this.streams.get(gen) ?? []) s.destroy();
    this.streams.delete(gen);
  }

  // ---- the Engine API healer process `gen` talks to ----

  connect(gen: number): Engine {
    const never = new Promise<never>(() => undefined);
    const alive = (): boolean => !this.dead.has(gen);
    // Answered on a later turn, as over a socket; a dead process hears nothing.
    const answer = <T>(fn: () => T): Promise<T> =>
      alive()
        ? new Promise<T>((resolve) => {
            setImmediate(() => {
              if (alive()) resolve(fn());
            });
          })
        : never;
    const info = (c: SimContainer): ContainerInfo => ({
      id: c.id,
      name: c.name,
      image: 'sim:1',
      labels: c.labels,
      running: c.running,
      paused: c.paused,
      restarting: false,
      startedAt: c.startedAt > 0 ? c.startedAt + this.skewMs : 0,
      finishedAt: c.finishedAt > 0 ? c.finishedAt + this.skewMs : 0,
      exitCode: c.exitCode,
      oomKilled: false,
      restartCount: c.restartCount,
      restartPolicy: c.restartPolicy,
      health: c.health,
      hasHealthcheck: c.hasHealthcheck,
      stopSignal: undefined,
      networkMode: 'host',
      networks: {},
      project: c.labels['com.docker.compose.project'],
      service: c.labels['com.docker.compose.service'] ?? c.labels['com.docker.swarm.service.name'],
      task: swarmTask(c.labels),
    });
    const act = (kind: ActionCall['kind'], id: string, timeoutMs: number, effect: (c: SimContainer) => void): Promise<void> => {
      if (!alive()) return never;
      const c = this.containers.get(id);
      this.actions.push({ kind, id, at: this.now(), healer: gen, before: c ? { ...c } : undefined });
      const mine = (this.inFlight.get(gen) ?? 0) + 1;
      this.inFlight.set(gen, mine);
      this.maxInFlight = Math.max(this.maxInFlight, mine);
      const done = (): void => void this.inFlight.set(gen, (this.inFlight.get(gen) ?? 1) - 1);
      const refused = this.refuseNext > 0;
      if (refused) this.refuseNext--;
      const slow = this.slowNextMs;
      this.slowNextMs = 0;
      return new Promise<void>((resolve, reject) => {
        const finish = (): void => {
          done();
          if (!alive()) return;
          const now = this.containers.get(id);
          if (refused) return reject(new EngineError(`${kind} ${id.slice(0, 12)} failed with HTTP 500: Cannot ${kind} container: simulated refusal`, 500, undefined));
          if (!now) return reject(new EngineError(`${kind} ${id.slice(0, 12)} failed with HTTP 404: No such container`, 404, undefined));
          effect(now);
          resolve();
        };
        // As Engine does: an action is bounded by the stop grace plus ANSWER_MS (10 s).
        if (slow > timeoutMs + 10_000) {
          this.clock.setTimeout(() => {
            done();
            if (alive()) reject(new Error(`${kind} ${id.slice(0, 12)}: the engine did not answer within ${Math.round((timeoutMs + 10_000) / 1000)}s`));
          }, timeoutMs + 10_000);
        } else if (slow > 0) this.clock.setTimeout(finish, slow);
        else setImmediate(finish);
      });
    };
    const engine = {
      ping: () => answer(() => undefined),
      // As Engine.clock: the ping's HTTP Date header (whole seconds, the engine's skewed clock), read as Engine reads it.
      clock: (now: () => number) => {
        const sentAt = now();
        return answer(() => {
          const read = engineClockFrom(new Date(this.now() + this.skewMs).toUTCString(), sentAt, now());
          if (!read) throw new Error('no Date header');
          return read;
        });
      },
      describe: () => answer(() => ({ engine: 'docker' as const, version: '20.10.24', apiVersion: '1.41' })),
      listIds: () => answer(() => [...this.containers.keys()]),
      inspect: (id: string) =>
        answer(() => {
          const c = this.containers.get(id);
          return c ? info(c) : undefined;
        }),
      restart: (id: string, timeoutMs: number) => act('restart', id, timeoutMs, (c) => this.restartNow(c)),
      start: (id: string) =>
        act('start', id, 0, (c) => {
          if (!c.running) this.startNow(c);
        }),
      stop: (id: string, timeoutMs: number) => act('stop', id, timeoutMs, (c) => this.stopNow(c)),
      // As Engine.remove: a container already gone counts as removed.
      remove: (id: string) =>
        act('remove', id, 0, (c) => this.remove(c)).catch((err: unknown) => {
          if ((err as { status?: number }).status !== 404) throw err;
        }),
      taskStanding: (taskId: string) =>
        answer((): TaskStanding => {
          this.taskAsks++;
          if (!this.manager) return { kind: 'unknown', why: 'this engine is not a Swarm manager', lasting: true };
          return this.endedTasks.has(taskId) ? { kind: 'ended', why: 'its task is failed (desired state shutdown)' } : { kind: 'current' };
        }),
      exec: () => answer(() => ({ exitCode: 0, output: '' })),
      logs: () => answer(() => [] as string[]),
      // As Engine.listStates: every container with all of `labels` (`key` or `key=value`), Docker 20.10's view.
      listStates: (labels: readonly string[]) =>
        answer((): ListedContainer[] =>
          [...this.containers.values()]
            .filter((c) => labels.every((l) => hasLabel(c.labels, l)))
            .map((c) => ({ id: c.id, name: c.name, run: c.paused ? 'paused' : c.running ? 'running' : 'exited', health: c.running && c.hasHealthcheck ? (c.health ?? 'starting') : undefined })),
        ),
      openEvents: (): Promise<Readable> => {
        // A (re)connect ends a stall: the new stream delivers again.
        this.stalled = false;
        return answer(() => {
          const s = new PassThrough();
          let set = this.streams.get(gen);
          if (!set) this.streams.set(gen, (set = new Set()));
          set.add(s);
          s.once('close', () => set.delete(s));
          return s;
        });
      },
    };
    return engine as unknown as Engine;
  }
}

/** A `key` or `key=value` label filter, as the engine matches it. */
function hasLabel(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? Object.hasOwn(labels, filter) : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
