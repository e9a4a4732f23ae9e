import type { Engine } from '../../src/docker/engine.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import type { AlertSink } from '../../src/watchdog/actor.ts';
import { loadConfig, type LoadedConfig } from '../../src/config/load.ts';
import { Metrics } from '../../src/metrics.ts';
import type { Prober } from '../../src/probes/types.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { Watchdog } from '../../src/watchdog/watchdog.ts';
import { SimClock } from './sim-clock.ts';
import { SimEngine, type AppMode, type SimContainer } from './sim-engine.ts';

/** The kinds of container the model runs; each a realistic set of labels. */
export type Kind = 'live' | 'onexit' | 'docker' | 'policy' | 'giveup' | 'zero' | 'task' | 'quarantine';
export const KINDS: readonly Kind[] = ['live', 'onexit', 'docker', 'policy', 'giveup', 'zero', 'task', 'quarantine'];

const INTERVAL = 1_000;
const FAILURES = 2;
export const BACKOFF = { initial: 2_000, max: 16_000, reset: 60_000 };
export const MAX_CONCURRENT = 2;
/** Scheduling jitter, the HEALTHCHECK's own delay and a settle: what the bound allows beyond the rules. */
const SLACK = 3_000;
/** A change the list shows is found by then: docker.stall_check (60 s) + the 10 s grace + margin. */
const STALL_FOUND_MS = 80_000;

const live = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': String(FAILURES) };
const GIVEUP_RESTARTS = 2;
const LABELS: Record<Kind, Record<string, string>> = {
  live,
  onexit: { 'healer.enable': 'true', 'healer.restart.on_exit': 'true' },
  docker: { 'healer.enable': 'true' },
  policy: live,
  giveup: { ...live, 'healer.restart.on_exit': 'true', 'healer.crashloop.action': 'giveup', 'healer.crashloop.restarts': String(GIVEUP_RESTARTS) },
  zero: { ...live, 'healer.liveness.interval': '0s' },
  // A Swarm task (its task labels are added per container): on_exit must never start it.
  task: { ...live, 'healer.restart.on_exit': 'true' },
  // healer.action: stop: a failing one is stopped and left stopped, never restarted or started.
  quarantine: { ...live, 'healer.action': 'stop' },
};

let tasks = 0;
/** The labels Swarm puts on a task container of a one-replica service named after the container. */
function taskLabels(name: string): Record<string, string> {
  const id = `task${++tasks}`;
  return { 'com.docker.swarm.task.id': id, 'com.docker.swarm.service.name': `svc-${name}`, 'com.docker.swarm.task.name': `svc-${name}.1.${id}`, 'com.docker.swarm.node.id': 'node1' };
}

export const SELF_ID = 'f'.repeat(64);

const YAML = (state: string): string => `
guards:
  max_concurrent_restarts: ${MAX_CONCURRENT}
  mass_failure: { fraction: 0.5, min_containers: 4 }
defaults:
  backoff: { initial: 2s, max: 16s, reset: 60s }
  crashloop: { restarts: 5, window: 10m, action: retry }
  restart: { timeout: 2s }
state: { path: "${state}" }
server: { listen: "off" }
`;

let metrics: Metrics | undefined;

/** The whole world of one model run: the simulated engine and clock, and the healer process(es). */
export class World {
  readonly clock = new SimClock(1_800_000_000_000);
  readonly engine = new SimEngine(this.clock);
  readonly alerts: AlertInput[] = [];
  /** Called when healer ends a removed container's alerts (a fault can be planted here). */
  onContainerGone: (name: string) => void = () => undefined;
  /** Ids of containers whose open alerts healer ended because someone stopped them (Alerter.containerStopped). */
  readonly stopsEnded: string[] = [];
  readonly kinds = new Map<string, Kind>();
  readonly log: string[] = [];
  gen = 0;
  wd!: Watchdog;
  state!: StateFile;
  /** Times after which a container's need for healer's action is judged afresh (healer start, reconnect, an excuse). */
  private freshFrom = 0;
  /** Stalls the current healer found in stall commands: any more is one found on a working stream. */
  private stallsSeen = 0;
  private readonly excused = new Map<string, number>();
  /** The last time each container's condition changed in a way that calls for an action. */
  readonly marks = new Map<string, number>();
  private readonly loaded: LoadedConfig;
  private readonly probers: Record<'http' | 'tcp' | 'exec', Prober>;
  private readonly chains = new Map<string, { at: number; n: number }>();
  private checkedActions = 0;

  /** The world's watchdog.yml and state file, removed by dispose(). */
  private readonly dir: string;

  constructor() {
    const dir = mkdtempSync(`${tmpdir()}/healer-model-`);
    this.dir = dir;
    writeFileSync(`${dir}/watchdog.yml`, YAML(`${dir}/state.json`));
    this.loaded = loadConfig(`${dir}/watchdog.yml`, {});
    const prober: Prober = {
      run: (_p, target) => Promise.resolve(this.engine.probe(target.containerId) ? { ok: true, latencyMs: 1 } : { ok: false, latencyMs: 1, error: 'timed out after 2000ms' }),
    };
    this.probers = { http: prober, tcp: prober, exec: prober };
    metrics ??= new Metrics({ watchdog: undefined, alerter: undefined });
  }

  static async create(): Promise<World> {
    const w = new World();
    // healer's own container (opted in, crashing) and one that did not opt in.
    const self = w.engine.create('healer', { ...live, 'healer.restart.on_exit': 'true' });
    w.engine.containers.delete(self.id);
    self.id = SELF_ID;
    w.engine.containers.set(SELF_ID, self);
    w.engine.startNow(self);
    w.engine.startNow(w.engine.create('other', { 'healer.restart.on_exit': 'true', 'healer.liveness': 'tcp://127.0.0.1:1' }));
    await w.startHealer();
    return w;
  }

  /** Healer processes started from now on talk to an engine some of whose calls `patch` replaces in place. */
  patchEngine(patch: (engine: Engine, gen: number) => void): void {
    const connect = this.engine.connect.bind(this.engine);
    this.engine.connect = (gen: number): Engine => {
      const engine = connect(gen);
      patch(engine, gen);
      return engine;
    };
  }

  /** Starts a healer process (generation `gen`) on the same state file. */
  async startHealer(): Promise<void> {
    const gen = ++this.gen;
    this.state = new StateFile(this.loaded.config.state.path, pino({ level: 'silent' }), () => this.clock.now());
    this.state.load();
    const alerter: AlertSink = { emit: (a: AlertInput) => void this.alerts.push(a), containerGone: (name) => this.onContainerGone(name), containerStopped: (id) => void this.stopsEnded.push(id) };
    this.wd = new Watchdog({
      engine: this.engine.connect(gen),
      loaded: this.loaded,
      log: pino({ level: process.env.MODEL_LOG ?? 'silent' }),
      clock: this.clock.view(gen),
      probers: this.probers,
      self: { ids: [SELF_ID], hostname: 'sim-host' },
      state: this.state,
      alerter,
      ...(metrics ? { observer: metrics } : {}),
    });
    this.stallsSeen = 0;
    await this.wd.start();
    await this.settle();
    this.freshFrom = this.clock.now();
  }

  /** SIGKILL: timers, streams and unwritten state go; writes already under way finish (the kernel's). */
  async killHealer(): Promise<void> {
    await this.state.idle();
    const old = this.state as unknown as { write: () => Promise<boolean> };
    old.write = () => Promise.resolve(false);
    this.clock.kill(this.gen);
    this.engine.killHealer(this.gen);
    await this.settle();
  }

  async dispose(): Promise<void> {
    await this.killHealer();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
    // A restart waits for its owed start to be on disk (real I/O, no simulated time) before it is sent.
    for (let i = 0; i < 4; i++) {
      await this.state.idle();
      await new Promise((r) => setImmediate(r));
    }
  }

  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms, () => this.settle());
    this.check();
  }

  /** Cuts the event stream, lets `during` happen unseen, and waits for the reconnect and resync. */
  async cut(during: () => void): Promise<void> {
    const before = this.wd.eventReconnects;
    this.engine.cutStreams();
    await this.settle();
    during();
    for (let i = 0; i < 100 && this.wd.eventReconnects === before; i++) await sleep(20);
    await sleep(5);
    await this.settle();
    this.freshFrom = this.clock.now();
  }

  /**
   * The event stream stalls (open, silent) while `during` happens, for `ms` of simulated time. The stall
   * check (docker.stall_check, 60 s; 10 s grace) must find a change the list shows that went untold (a
   * stall on a working stream is check()'s to catch); what it found is resynchronised as after a cut.
   */
  async stall(during: () => void, ms: number): Promise<void> {
    // The check's first list after a (re)connect (1 ms on) only seeds it: a change before it is no news.
    // Real streams are not silent in that millisecond; here no time may have passed since the connect.
    await this.clock.advance(1, () => this.settle());
    const stalls = this.wd.eventStalls;
    const before = JSON.stringify(this.listed());
    this.engine.stalled = true;
    during();
    const changed = JSON.stringify(this.listed()) !== before;
    await this.clock.advance(ms, () => this.settle());
    // A change the engine undid before any list (a restart policy's quick restart) no list can show.
    const kept = changed && JSON.stringify(this.listed()) !== before;
    const found = this.wd.eventStalls > stalls;
    this.engine.stalled = false;
    this.stallsSeen = this.wd.eventStalls;
    if (kept && ms >= STALL_FOUND_MS && !found) throw new Error(`invariant broken: a change the list showed went untold for ${ms / 1000}s and no stall was found`);
    // Not found (too short, or nothing the list shows): reconnected, so what was lost is resynchronised.
    if (!found) await this.cut(() => undefined);
    await this.settle();
    this.freshFrom = this.clock.now();
    this.check();
  }

  /** What the engine's list shows of the containers healer may watch (what the stall check compares). */
  private listed(): string[] {
    return [...this.engine.containers.values()].map((c) => `${c.id}:${c.paused ? 'paused' : c.running ? 'running' : 'exited'}`).sort();
  }

  mark(c: SimContainer): void {
    this.marks.set(c.id, this.clock.now());
  }

  containersOf(): SimContainer[] {
    return [...this.engine.containers.values()].filter((c) => c.id !== SELF_ID && c.name !== 'other');
  }

  // ---- invariants ----

  check(): void {
    const now = this.clock.now();
    const fail = (what: string): never => {
      throw new Error(`invariant broken at t+${Math.round((now - 1_800_000_000_000) / 1000)}s: ${what}`);
    };
    if (this.clock.thrown.length > 0) fail(`an exception escaped a timer: ${String(this.clock.thrown[0])}`);
    if (this.wd.eventStalls > this.stallsSeen) fail('a stall found on a working event stream');
    if (this.engine.maxInFlight > MAX_CONCURRENT) fail(`${this.engine.maxInFlight} engine actions in flight (max_concurrent_restarts ${MAX_CONCURRENT})`);
    for (const a of this.engine.actions.slice(this.checkedActions)) {
      const c = a.before;
      const kind = this.kinds.get(a.id);
      if (a.id === SELF_ID) fail(`${a.kind} on healer's own container`);
      if (c && c.name === 'other') fail(`${a.kind} on a container that did not opt in`);
      if (kind === 'zero') fail(`${a.kind} on a container with a label error`);
      if (c?.paused) fail(`${a.kind} on the paused container ${c.name}`);
      if (c?.operatorStopped && !c.running) fail(`${a.kind} on ${c.name}, which an operator stopped`);
      if (kind === 'task' && (a.kind === 'restart' || a.kind === 'start')) fail(`${a.kind} of the Swarm task container ${c?.name ?? a.id}`);
      if (kind === 'quarantine' && (a.kind === 'restart' || a.kind === 'start')) fail(`${a.kind} of the quarantined (healer.action: stop) container ${c?.name ?? a.id}`);
      if (a.kind === 'restart' || a.kind === 'start') {
        const prev = this.chains.get(a.id);
        if (!prev || a.at - prev.at >= BACKOFF.reset) this.chains.set(a.id, { at: a.at, n: 1 });
        else {
          const due = Math.min(BACKOFF.initial * 2 ** (prev.n - 1), BACKOFF.max);
          if (a.at - prev.at < due) fail(`${a.kind} of ${c?.name ?? a.id} ${a.at - prev.at}ms after the previous one; backoff asks ${due}ms`);
          this.chains.set(a.id, { at: a.at, n: prev.n + 1 });
        }
      }
    }
    this.checkedActions = this.engine.actions.length;
    // Bounded by the live containers.
    const liveCount = this.engine.containers.size;
    if (this.wd.watches.size + this.wd.problems.size > liveCount) fail(`${this.wd.watches.size} watches and ${this.wd.problems.size} problems for ${liveCount} containers`);
    for (const id of this.wd.watches.keys()) if (!this.engine.containers.has(id)) fail(`a watch kept for the removed container ${id.slice(0, 4)}`);
    const timers = this.clock.pending(this.gen);
    // (+1: the stall check's next list.)
    if (timers > 3 * this.wd.watches.size + 3) fail(`${timers} timers for ${this.wd.watches.size} watches`);
    // Acted on in time.
    for (const c of this.engine.containers.values()) {
      const kind = this.kinds.get(c.id);
      if (!kind || kind === 'zero' || c.paused) continue;
      // A task's exit is Swarm's to handle: healer never starts it.
      const onExit = kind === 'onexit' || kind === 'giveup';
      const crashed = !c.running && !c.operatorStopped && c.exitCode !== 0 && c.exitCode !== 143 && c.exitCode !== 137;
      const failingProbe = c.running && (c.app === 'hang' || c.app === 'crashloop') && kind !== 'onexit';
      const needs = (onExit && crashed && c.restartPolicy === 'no') || failingProbe;
      if (!needs) continue;
      const since = Math.max(this.marks.get(c.id) ?? 0, c.startedAt, crashed ? c.finishedAt : 0, this.freshFrom, this.excused.get(c.id) ?? 0);
      const w = this.wd.watches.get(c.id);
      // Healthy for backoff.reset (and the probes to see it) before this failure: backoff and the
      // crash-loop state start afresh, so no backoff and no giveup excuse.
      const fresh = c.healthyFor >= BACKOFF.reset + (FAILURES + 1) * INTERVAL + SLACK;
      if (this.wd.paused || w?.state.heldBy !== undefined || (!fresh && w?.state.budget.loop === 'gave_up')) {
        this.excused.set(c.id, now);
        continue;
      }
      const bound = (crashed ? 0 : (FAILURES + 1) * INTERVAL) + (fresh ? 0 : BACKOFF.max) + SLACK;
      if (now - since <= bound) continue;
      const acted = this.engine.actions.some((a) => a.id === c.id && a.at >= since);
      if (!acted) {
        fail(
          `${c.name} (${kind}${fresh ? `, healthy for ${Math.round(c.healthyFor / 1000)}s before` : ''}) ${crashed ? `exited with code ${c.exitCode}` : `fails its liveness (${c.app})`} for ${Math.round((now - since) / 1000)}s and was not acted on (bound ${bound / 1000}s; healer sees it as ${w ? `${w.state.lifecycle}${w.state.pending ? `, pending ${w.state.pending.kind}` : ''}${w.state.inFlight ? ', in flight' : ''}` : 'unwatched'})`,
        );
      }
    }
  }

  /** State-file entries are bounded by the containers that exist (read after the pending writes). */
  async checkStateFile(): Promise<void> {
    await this.state.flush();
    let ids: string[];
    try {
      ids = Object.keys((JSON.parse(readFileSync(this.loaded.config.state.path, 'utf8')) as { containers: Record<string, unknown> }).containers);
    } catch {
      return;
    }
    const gone = ids.filter((id) => !this.engine.containers.has(id));
    if (gone.length > 0) throw new Error(`invariant broken: the state file keeps ${gone.length} removed container(s)`);
  }

  /**
   * Creates and starts a task container of a one-replica Swarm service `svc-<name>`, named as Swarm
   * names it and probed by healer (`labels` add to or override the probe's), outside the model's kinds.
   */
  runTask(name: string, labels: Record<string, string> = {}): SimContainer {
    const t = taskLabels(name);
    const c = this.engine.create(t['com.docker.swarm.task.name'] ?? name, { ...live, ...labels, ...t });
    this.engine.startNow(c);
    return c;
  }

  /** Creates and starts a container of `kind` named `name`. */
  run(name: string, kind: Kind, app: AppMode): SimContainer {
    const c = this.engine.create(name, { ...LABELS[kind], ...(kind === 'task' ? taskLabels(name) : {}) }, { restartPolicy: kind === 'policy' ? 'always' : 'no', healthcheck: kind === 'docker', app });
    this.kinds.set(c.id, kind);
    this.engine.startNow(c);
    this.mark(c);
    return c;
  }
}
