import type { Alerter } from '../alerting/alerter.ts';

/** What the watchdog asks of alerting: an alert to send, and a container whose open alerts end. */
/** `containerStopped` is optional so that sinks which keep nothing open (tests' recorders) need not have it. */
export type AlertSink = Pick<Alerter, 'emit' | 'containerGone'> & Partial<Pick<Alerter, 'containerStopped'>>;
import type { Engine } from '../docker/engine.ts';
import { containerGone } from '../docker/engine-error.ts';
import type { ContainerInfo } from '../docker/types.ts';
import { containerAlert } from './alert-input.ts';
import type { HistorySink } from './history.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { HandBack } from './hand-back.ts';
import { afterSkipped } from './late-exit.ts';
import { Limit } from './limit.ts';
import { preAction } from './pre-action.ts';
import { afterRecheck } from './recheck.ts';
import type { NamespaceChildren } from './namespace-children.ts';
import type { ActionKind, Cause, Context } from './machine-types.ts';
import { forgotten, oweStart, owedTakenBack, restartSending } from './owed-write.ts';
import type { StateFile } from './state-file.ts';

export interface ActorDeps {
  readonly engine: Engine;
  readonly clock: Clock;
  readonly alerter: AlertSink;
  readonly state: StateFile;
  readonly self: { readonly ids: readonly string[]; readonly hostname: string };
  readonly maxConcurrent: number;
  /** The containers in a restarted container's network namespace, asked to restart after it. */
  readonly namespace: Pick<NamespaceChildren, 'ownerStarted'>;
  /** Healer's own actions, for the status page's history. */
  readonly history: HistorySink;
  /** What the rest of the host says now (the breaker, dependencies): a queued action is judged again by it. */
  readonly context: (w: ContainerWatch) => Context;
}

const HISTORY_EVENT = { restart: 'restarted', start: 'started', stop: 'stopped', replace: 'replaced' } as const;

/**
 * Carries out what a watch decided: at most `maxConcurrent` engine actions at once, each on fresh
 * information (the container is inspected again just before), and reports the outcome back to the watch.
 */
export class Actor {
  private readonly deps: ActorDeps;
  private readonly slots: Limit;
  /** A task's hand-back to its orchestrator (hand-back.ts). */
  private readonly handBack: HandBack;
  /**
   * Quarantine stops the engine refused in a row, per container: their retries back off. A refusal
   * longer after the last than a retry could be is a new episode (the app recovered meanwhile, or was
   * stopped and started), counted from one again.
   */
  private readonly stopFailures = new WeakMap<ContainerWatch, { readonly attempt: number; readonly at: number }>();

  constructor(deps: ActorDeps) {
    this.deps = deps;
    this.slots = new Limit(deps.maxConcurrent);
    this.handBack = new HandBack(deps);
  }

  /** Engine actions under way now (never above maxConcurrent). */
  get inFlight(): number {
    return this.slots.inUse;
  }

  async act(w: ContainerWatch, kind: ActionKind, reason: string, cause: Cause): Promise<void> {
    let done: boolean | 'deferred' | 'gone' | 'recovered' | 'held';
    try {
      // The inspect data its probes were routed with when this was decided.
      const decidedOn = w.info;
      done = await this.slots.run((waited) => this.perform(w, kind, reason, cause, decidedOn, waited));
    } catch (err) {
      const error = (err as Error).message;
      if (containerGone(err, w)) return this.gone(w, kind, reason, error);
      if (kind === 'stop') return this.stopFailed(w, reason, cause, error);
      const meanwhile = w.events.endAction(false);
      // A hand-back whose stop signal reached the container: it drains, and its exit is that stop's.
      if (kind === 'replace') w.events.keepOwnStopSignal();
      w.counts.restartFailures[cause]++;
      // A restart whose stop half ran: what is retried is a start (a restart needs it running).
      const retryKind = kind === 'start' || w.events.downByOwnAction ? 'start' : 'restart';
      // The state machine narrates it (`restart failed`, with the engine's error as the reason), alerts,
      // and retries after the backoff; unless the container went down meanwhile and stayed down: then
      // that is what happened to it (a crash gets its on-exit start, an operator's stop stays).
      w.feed({ type: 'restart_done', ok: false, error, retry: { kind: retryKind, reason, cause }, at: this.deps.clock.now() });
      for (const input of meanwhile) w.feed(input);
      // The attempt was counted on disk as it was made; that it did not count goes to disk as soon.
      void this.deps.state.flush();
      return;
    }
    if (done === 'gone') return this.gone(w, kind, reason, 'no such container');
    const now = this.deps.clock.now();
    if (done === 'deferred') {
      w.log.warn({ reason, action: kind }, `${kind} not sent: restarts are paused or held since it was decided; it waits as one decided now would`);
      return w.feed({ type: 'requeued', want: { kind: kind === 'start' ? 'start' : 'restart', reason, cause }, at: now });
    }
    if (done === 'recovered' || done === 'held') return afterRecheck(w, done, { kind: 'restart', reason, cause }, now);
    if (done) this.deps.history.transition({ at: now, container: w.name, project: w.info.project, event: HISTORY_EVENT[kind], reason });
    // Someone started it again while healer stopped it: it runs, and is read from its own events.
    if ((kind === 'stop' || kind === 'replace') && done) {
      w.events.endAction(true);
      if (w.events.startedByOther) {
        w.feed({ type: 'restart_done', ok: true, at: now });
        // A task started again outside its orchestrator while healer handed it back: an orphan.
        if (kind === 'replace') w.feed({ type: 'orphaned', at: now });
        return;
      }
    }
    if (kind === 'stop') {
      // healer's own quarantine: its kill, die and stop were healer's; the container stays stopped.
      if (done) {
        this.stopFailures.delete(w);
        w.feed({ type: 'stopped', by: 'operator', at: now });
      }
      return;
    }
    if (kind === 'replace' && done) {
      w.counts.restarts[cause]++;
      w.feed({ type: 'replaced', at: now });
      this.deps.alerter.emit(containerAlert(w, 'restarted', this.handBack.said(w, reason), now));
      return;
    }
    if (done) {
      const meanwhile = w.events.endAction(true);
      w.counts.restarts[cause]++;
      w.feed({ type: 'restart_done', ok: true, at: now });
      this.deps.alerter.emit(containerAlert(w, 'restarted', reason, now));
      // The new run went down (a crash, an operator's stop), and maybe started again, before the engine had answered: taken now.
      for (const input of meanwhile) w.feed(input);
      // Brought back by healer (restart, or start after an exit): its namespace is new, the children's is gone.
      this.restartNamespaceChildren(w, kind === 'restart' ? 'restarted' : 'started again');
      return;
    }
    // Not done because the container changed meanwhile: its real state is taken (found down: once its events say how).
    await afterSkipped(w, this.deps.clock, this.deps.alerter);
  }

  /**
   * The container is gone or being removed (`--rm` as it exits, `docker rm -f`, compose re-creating it):
   * nothing failed and nothing is retried; its watch ends with its destroy event.
   */
  private gone(w: ContainerWatch, kind: ActionKind, reason: string, why: string): void {
    w.events.endAction(false);
    w.log.info({ action: kind, reason, err: why }, `${kind} skipped: the container is gone (removed)`);
    // A quarantine stop took nothing from the budget and set nothing in flight: there is nothing to undo.
    if (kind !== 'stop') w.feed({ type: 'restart_done', ok: false, gone: true, at: this.deps.clock.now() });
  }

  /**
   * One action on fresh information; false when the container is no longer in the state that called for
   * it, 'deferred' when the host now says wait (the breaker opened, a dependency fails), 'gone' when it was
   * removed, 'recovered' when a restart for failing probes finds them passing again (`waited`: for a slot),
   * 'held' when the match budget refused that re-check (recheck.ts). One whose container's destroy was
   * handled while it waited is dropped before its inspect (gone).
   */
  private async perform(w: ContainerWatch, kind: ActionKind, reason: string, cause: Cause, decidedOn: ContainerInfo, waited: boolean): Promise<boolean | 'deferred' | 'gone' | 'recovered' | 'held'> {
    if (forgotten(w, this.deps.state)) return 'gone';
    if (kind !== 'restart') return this.lookAndSend(w, kind, reason, cause, decidedOn, waited);
    // A restart's start is owed on disk before its stop half goes out: healer killed between the two
    // halves leaves the container down, and the engine applies no restart policy after an API stop.
    // Written first (bounded wait), so the look below sees what an operator did during the write.
    await oweStart(w, this.deps.state, this.deps.clock, this.deps.engine, { reason, cause });
    try {
      return await this.lookAndSend(w, kind, reason, cause, decidedOn, waited);
    } finally {
      owedTakenBack(w, this.deps.state);
    }
  }

  /** The last look at the container (fresh inspect, the host's context) and, if it still calls for it, the action. */
  private async lookAndSend(w: ContainerWatch, kind: ActionKind, reason: string, cause: Cause, decidedOn: ContainerInfo, waited: boolean): Promise<boolean | 'deferred' | 'gone' | 'recovered' | 'held'> {
    const verdict = await preAction(this.deps, w, kind, reason, cause, decidedOn, waited);
    if (verdict !== 'go') return verdict;
    // The restart budget that counts this action goes to disk now (not waited for: an fsync on a busy
    // disk must not hold up the action); a restart's owed start, written before the look, is stamped now.
    if (kind === 'restart') restartSending(w, this.deps.state, this.deps.clock);
    else void this.deps.state.flush();
    const { engine } = this.deps;
    const timeoutMs = w.policy.restartTimeoutMs;
    if (kind === 'replace') return this.handBack.send(w, reason, timeoutMs);
    w.log.warn({ reason, action: kind, timeoutMs }, kind === 'stop' ? 'stopping container (quarantine)' : `${kind === 'restart' ? 'restarting' : 'starting'} container`);
    w.events.beginAction(kind);
    try {
      await (kind === 'restart' ? engine.restart(w.id, timeoutMs) : kind === 'start' ? engine.start(w.id) : engine.stop(w.id, timeoutMs));
    } finally {
      // Answered: what is owed now is the state machine's to say (a refused start half owes it again).
      w.restartSent = undefined;
    }
    const verb = kind === 'stop' ? 'stopped' : kind === 'restart' ? 'restarted' : 'started';
    w.log.info({ action: kind, event: kind === 'stop' ? 'stopped' : 'restarted', restartsInWindow: w.state.budget.restarts.length }, `container ${verb}`);
    return true;
  }

  /**
   * A quarantine stop whose call failed. What matters is what became of the container: down (the engine
   * stopped it and its answer was lost, a proxy timed out) is quarantined; draining after healer's stop
   * signal, its exit is awaited as that stop's; still running untouched, the engine refused: alerted and
   * tried again, backing off.
   */
  private async stopFailed(w: ContainerWatch, reason: string, cause: Cause, error: string): Promise<void> {
    w.log.error({ action: 'stop', err: error, reason }, 'stop failed');
    const meanwhile = w.events.endAction(false);
    const draining = w.events.keepOwnStopSignal();
    const now = (): number => this.deps.clock.now();
    if (meanwhile.length > 0) return meanwhile.forEach((input) => w.feed(input));
    const fresh = await this.deps.engine.inspect(w.id).catch(() => undefined);
    if (fresh) w.info = fresh;
    if (w.events.downByOwnAction || (fresh && !fresh.running)) {
      this.stopFailures.delete(w);
      w.log.info({ action: 'stop' }, 'the container is stopped all the same; it stays stopped');
      return w.feed({ type: 'stopped', by: 'operator', at: now() });
    }
    const prev = this.stopFailures.get(w);
    const retryWithin = w.policy.backoff.maxMs + w.policy.restartTimeoutMs + 10_000;
    const attempt = prev !== undefined && now() - prev.at <= retryWithin ? prev.attempt + 1 : 1;
    this.stopFailures.set(w, { attempt, at: now() });
    w.feed({ type: 'stop_failed', error, retry: { kind: 'restart', reason, cause }, attempt, draining, at: now() });
  }

  /** Containers in X's network namespace lose their network when X goes down: restart them after it is back. */
  private restartNamespaceChildren(owner: ContainerWatch, how: string): void {
    void this.deps.namespace.ownerStarted({ id: owner.id, name: owner.name }, how);
  }
}
