import { isStopSignal } from '../docker/signals.ts';
import type { ContainerEvent } from '../docker/types.ts';
import type { Input } from './machine-types.ts';
import { STOP_SIGNAL_WINDOW_MS, stopWindowMs } from './stop-window.ts';

/** A container going down, as the state machine takes it: a crash (exit) or an operator's stop. */
export type Down = Extract<Input, { type: 'stopped' }>;

/** Re-exported for the readers of stop signals (decide.ts, the tests). */
export { STOP_SIGNAL_WINDOW_MS };

/**
 * Reads one container's event stream into state-machine inputs. It remembers what the events between
 * them say: which kill/die/stop/start belong to healer's own action, whether an operator sent a stop
 * signal (isStopSignal: KILL, TERM, INT, QUIT or its StopSignal; a `kill -s HUP` reload is not), an OOM
 * kill, and a crash of the new run that happens while healer's own action is still being answered.
 */
export class EventReader {
  /** healer's restarts whose closing `restart` event has not arrived: their kill/die/stop/start are healer's. */
  private ownRestartEvents = 0;
  /** healer's restart or start is being answered by the engine. */
  private acting = false;
  /** What healer's action under way is: a start seen during a stop or a hand-back is someone else's. */
  private actingKind: 'restart' | 'start' | 'stop' | 'replace' | undefined;
  /** Someone else started the container while healer stopped it (quarantine, hand-back). */
  startedByOther = false;
  /** The new run has started since healer's action began: a die now is a crash of that run. */
  private startedSinceAction = false;
  /**
   * What the new run did while healer's action was still being answered (the answer and the events come
   * over two connections, in no set order): it went down, and maybe was started again (its restart
   * policy, an operator's `docker restart`), in the order the events said.
   */
  private meanwhile: Input[] = [];
  /** A die before the new run started, taken for healer's own (its restart's kill, or a crash meanwhile). */
  private ownDie: Down | undefined;
  /**
   * healer's last action failed after the container went down in it (a restart whose stop ran and whose
   * start the engine refused): it is down because of healer, which starts it again (no crash, no alert).
   */
  downByOwnAction = false;
  /** The last time the container went down as read from its events, until it starts again. */
  private lastDown: Down | undefined;
  /** Starts seen (anyone's): a stop followed by one was a restart, not a stop that parks it (stop-end.ts). */
  starts = 0;
  private stopSignalAt: number | undefined;
  /** How long the stop signalled at stopSignalAt may last: the container's own grace (stop-window.ts). */
  private stopWindow = STOP_SIGNAL_WINDOW_MS;
  private oom = false;
  /** healer handed this (task) container back: every kill, die and stop from now on is healer's. */
  private handedBack = false;
  /** When healer's own stop or hand-back sent its stop signal (the engine's kill event), during the action. */
  private ownSignalAt: number | undefined;
  /** The last signal healer's restart sent the old run (its kill event), during the action. */
  private restartKillAt: number | undefined;
  /**
   * A restart healer stopped waiting for (no answer) after it signalled the container, which has not died
   * yet: the engine carries on with it (a process stuck in uninterruptible I/O dies late). Its die, stop,
   * start and closing `restart` are that restart's, until this time (the stop-signal window after its
   * last signal, the SIGKILL after the grace), its `restart` event, or a resync.
   */
  private lateRestartUntil: number | undefined;

  /** healer is about to restart, start, stop (quarantine) or hand back (a task: stop, remove) the container. */
  beginAction(kind: 'restart' | 'start' | 'stop' | 'replace'): void {
    if (kind === 'replace') this.handedBack = true;
    this.acting = true;
    this.actingKind = kind;
    this.startedByOther = false;
    this.startedSinceAction = false;
    this.meanwhile = [];
    this.ownDie = undefined;
    this.ownSignalAt = undefined;
    this.restartKillAt = undefined;
    if (kind === 'restart') this.ownRestartEvents++;
  }

  /**
   * healer's stop or hand-back failed (the engine's answer did, a proxy timed out) after its stop signal
   * reached the container, which is draining: its exit is that stop's, as an operator's is, within the
   * window (and decisions are held meanwhile). False when no stop signal of healer's was seen.
   */
  keepOwnStopSignal(): boolean {
    const at = this.ownSignalAt;
    this.ownSignalAt = undefined;
    if (at === undefined) return false;
    this.stopSignalAt = at;
    this.stopWindow = STOP_SIGNAL_WINDOW_MS;
    return true;
  }

  /**
   * healer's action was answered. Returns what the new run did meanwhile, as inputs in order: a crash (or
   * stop) of it, and its start again when one followed (so a running container is not left taken for
   * down). After a failed action, a die healer had taken for its own with no new run since is no crash:
   * `downByOwnAction` says so.
   */
  endAction(ok: boolean): readonly Input[] {
    // Late: the restart signalled the container and its die has not come. One whose start came already
    // (its die was taken by that start) finished, answer lost: nothing more of it will come.
    const late = !ok && this.actingKind === 'restart' && this.restartKillAt !== undefined && this.ownDie === undefined && this.meanwhile.length === 0 && !this.startedSinceAction;
    this.acting = false;
    this.actingKind = undefined;
    this.downByOwnAction = !ok && this.ownDie !== undefined && this.meanwhile.length === 0;
    if (!ok) {
      // A restart the engine refused is over; one it signalled the container for may still finish.
      this.ownRestartEvents = late ? 1 : 0;
      this.lateRestartUntil = late && this.restartKillAt !== undefined ? this.restartKillAt + STOP_SIGNAL_WINDOW_MS : undefined;
      // A failed hand-back leaves the container to be read as before: a later stop is someone's stop.
      this.handedBack = false;
    }
    const meanwhile = this.meanwhile;
    this.meanwhile = [];
    this.ownDie = undefined;
    return meanwhile;
  }

  /**
   * The event stream was reconnected and the container inspected afresh: the closing events of an
   * action that finished during the gap never come, so they are no longer waited for.
   */
  resync(): void {
    if (this.acting) return;
    this.ownRestartEvents = 0;
    this.lateRestartUntil = undefined;
    // A hand-back finished in the gap; a start of it then (an orphan) was not seen: later events are not healer's.
    this.handedBack = false;
  }

  /** A late restart that never finished: its closing events are no longer awaited. */
  private endLateRestart(): void {
    this.lateRestartUntil = undefined;
    if (this.ownRestartEvents > 0) this.ownRestartEvents--;
  }

  /** Someone else's stop signal reached the running container within the window and it has not exited. */
  stopSignalled(now: number): boolean {
    // A signal stamped after `now` (the wall clock was stepped back since): the window runs from now,
    // so it neither lasts the step longer nor is dropped (a stop under way is not read as a crash).
    if (this.stopSignalAt !== undefined && this.stopSignalAt > now) this.stopSignalAt = now;
    return this.stopSignalAt !== undefined && now - this.stopSignalAt <= this.stopWindow;
  }

  /** When a stop under way with no end (StopTimeout < 0) was signalled: stop-survival.ts may end it. */
  get endlessSince(): number | undefined {
    return this.stopSignalAt !== undefined && !Number.isFinite(this.stopWindow) ? this.stopSignalAt : undefined;
  }
  /** The container survived the stop signal under way (stop-survival.ts): no stop is under way any more. */
  survived(): void {
    this.stopSignalAt = undefined;
  }

  /** When the stop under way stops being one (stopSignalled turns false), for a held decision's wake. */
  get stopUntil(): number | undefined {
    return this.stopSignalAt === undefined ? undefined : this.stopSignalAt + this.stopWindow;
  }

  /** How the container last went down (undefined once it started again): what a skipped action found. */
  get down(): Down | undefined {
    return this.lastDown;
  }

  /**
   * The input an event means for the state machine, if any. `stopSignal` and `stopTimeoutMs` are the
   * container's own (inspect): the signal `docker stop` sends, and how long it then waits before SIGKILL.
   */
  read(ev: ContainerEvent, now: number, stopSignal: string | undefined, stopTimeoutMs?: number): Input | undefined {
    // A late restart that has not finished within its window is not coming: later events are not its.
    if (this.lateRestartUntil !== undefined && now > this.lateRestartUntil) this.endLateRestart();
    // A start after a hand-back is someone else's (healer never starts a task): it ends the hand-back.
    const startOfOther = ev.action === 'start' && (this.actingKind === 'stop' || this.actingKind === 'replace');
    const ours = (this.acting && !startOfOther) || this.ownRestartEvents > 0 || (this.handedBack && ev.action !== 'start');
    if (this.acting && startOfOther) this.startedByOther = true;
    switch (ev.action) {
      case 'restart':
        if (this.ownRestartEvents > 0) this.ownRestartEvents--;
        // The late restart closes first (the engine does one at a time): the start seen was its, not the retry's.
        if (this.lateRestartUntil !== undefined) {
          this.lateRestartUntil = undefined;
          this.startedSinceAction = false;
        }
        return undefined;
      case 'kill': {
        const stops = isStopSignal(ev.signal, stopSignal);
        // healer's restart sends its kill before the new run starts; a kill after that is someone else's.
        if ((!ours || this.startedSinceAction) && stops) {
          this.stopSignalAt = now;
          this.stopWindow = stopWindowMs(stopTimeoutMs);
        }
        else if (this.acting && this.actingKind === 'restart' && stops) this.restartKillAt = now;
        else if (this.acting && (this.actingKind === 'stop' || this.actingKind === 'replace') && stops) this.ownSignalAt = now;
        return undefined;
      }
      case 'oom':
        this.oom = true;
        return undefined;
      case 'start':
        this.starts++;
        this.stopSignalAt = undefined;
        this.oom = false;
        this.lastDown = undefined;
        this.handedBack = false;
        if (ours) {
          // The new run went down while healer waited and has started again: that start is kept too.
          if (this.acting && this.meanwhile.length > 0) this.meanwhile.push({ type: 'started', at: now });
          this.startedSinceAction = true;
          this.ownDie = undefined;
          // A late restart brought the container back: it runs afresh (no retry of that restart is needed).
          return !this.acting && this.lateRestartUntil !== undefined ? { type: 'started', at: now } : undefined;
        }
        return { type: 'started', at: now };
      case 'die': {
        const byOperator = this.stopSignalled(now);
        this.stopSignalAt = undefined;
        const down: Down = byOperator ? { type: 'stopped', by: 'operator', at: now } : { type: 'stopped', by: 'exit', at: now, exitCode: ev.exitCode ?? -1, oom: this.oom };
        this.lastDown = down;
        // The die of the run healer's restart ends is healer's, unless that restart then fails (endAction).
        if (ours && !this.startedSinceAction) {
          if (this.acting) this.ownDie = down;
          return undefined;
        }
        // A die after the new run started is that run's: a crash, or an operator's stop.
        if (this.acting) {
          this.meanwhile.push(down);
          return undefined;
        }
        return down;
      }
      case 'stop': {
        if (ours && !this.startedSinceAction) return undefined;
        // `docker stop` always ends with a `stop` event, whatever signal it sent (`--signal SIGINT`) and
        // however long the app took to exit: the exit is the operator's.
        const down: Down = { type: 'stopped', by: 'operator', at: now };
        this.lastDown = down;
        if (this.acting) {
          // The stop that ends a die taken meanwhile says how that run went down (as one input, as before).
          const last = this.meanwhile.at(-1);
          if (last?.type === 'stopped') this.meanwhile[this.meanwhile.length - 1] = down;
          else this.meanwhile.push(down);
          return undefined;
        }
        return down;
      }
      case 'pause':
        return { type: 'paused', at: now };
      case 'unpause':
        return { type: 'unpaused', at: now };
      default:
        return undefined;
    }
  }
}
