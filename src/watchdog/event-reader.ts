import { isStopSignal } from '../docker/signals.ts';
import type { ContainerEvent } from '../docker/types.ts';
import type { Input } from './machine-types.ts';
import { OwnAction } from './own-action.ts';
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
  /** healer's own action under way, as its events are read against it (own-action.ts). */
  private readonly own = new OwnAction();
  /** The last time the container went down as read from its events, until it starts again. */
  private lastDown: Down | undefined;
  /** Starts seen (anyone's): a stop followed by one was a restart, not a stop that parks it (stop-end.ts). */
  starts = 0;
  private stopSignalAt: number | undefined;
  /** How long the stop signalled at stopSignalAt may last: the container's own grace (stop-window.ts). */
  private stopWindow = STOP_SIGNAL_WINDOW_MS;
  private oom = false;

  /** Someone else started the container while healer stopped it (quarantine, hand-back). */
  get startedByOther(): boolean {
    return this.own.startedByOther;
  }
  /**
   * healer's last action failed after the container went down in it (a restart whose stop ran and whose
   * start the engine refused): it is down because of healer, which starts it again (no crash, no alert).
   */
  get downByOwnAction(): boolean {
    return this.own.downByOwnAction;
  }

  /** healer is about to restart, start, stop (quarantine) or hand back (a task: stop, remove) the container. */
  beginAction(kind: 'restart' | 'start' | 'stop' | 'replace'): void {
    this.own.begin(kind);
  }

  /**
   * healer's stop or hand-back failed (the engine's answer did, a proxy timed out) after its stop signal
   * reached the container, which is draining: its exit is that stop's, as an operator's is, within the
   * window (and decisions are held meanwhile). False when no stop signal of healer's was seen.
   */
  keepOwnStopSignal(): boolean {
    const at = this.own.ownSignalAt;
    this.own.ownSignalAt = undefined;
    if (at === undefined) return false;
    this.stopSignalAt = at;
    this.stopWindow = STOP_SIGNAL_WINDOW_MS;
    return true;
  }

  /**
   * healer's action was answered. Returns what the new run did meanwhile, as inputs in order: a crash (or
   * stop) of it, and its start again when one followed (own-action.ts).
   */
  endAction(ok: boolean): readonly Input[] {
    return this.own.end(ok);
  }

  /**
   * The event stream was reconnected and the container inspected afresh: the closing events of an
   * action that finished during the gap never come, so they are no longer waited for.
   */
  resync(): void {
    this.own.resync();
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
    if (this.own.lateRestartUntil !== undefined && now > this.own.lateRestartUntil) this.own.endLate();
    // A start after a hand-back is someone else's (healer never starts a task): it ends the hand-back.
    const startOfOther = ev.action === 'start' && (this.own.actingKind === 'stop' || this.own.actingKind === 'replace');
    const ours = (this.own.acting && !startOfOther) || this.own.ownRestartEvents > 0 || (this.own.handedBack && ev.action !== 'start');
    if (this.own.acting && startOfOther) this.own.startedByOther = true;
    switch (ev.action) {
      case 'restart':
        if (this.own.ownRestartEvents > 0) this.own.ownRestartEvents--;
        // The late restart closes first (the engine does one at a time): the start seen was its, not the retry's.
        if (this.own.lateRestartUntil !== undefined) {
          this.own.lateRestartUntil = undefined;
          this.own.startedSinceAction = false;
        }
        return undefined;
      case 'kill': {
        const stops = isStopSignal(ev.signal, stopSignal);
        // healer's restart sends its kill before the new run starts; a kill after that is someone else's.
        if ((!ours || this.own.startedSinceAction) && stops) {
          this.stopSignalAt = now;
          this.stopWindow = stopWindowMs(stopTimeoutMs);
        }
        else if (this.own.acting && this.own.actingKind === 'restart' && stops) this.own.restartKillAt = now;
        else if (this.own.acting && (this.own.actingKind === 'stop' || this.own.actingKind === 'replace') && stops) this.own.ownSignalAt = now;
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
        this.own.handedBack = false;
        if (ours) {
          // The new run went down while healer waited and has started again: that start is kept too.
          if (this.own.acting && this.own.meanwhile.length > 0) this.own.meanwhile.push({ type: 'started', at: now });
          this.own.startedSinceAction = true;
          this.own.ownDie = undefined;
          // A late restart brought the container back: it runs afresh (no retry of that restart is needed).
          return !this.own.acting && this.own.lateRestartUntil !== undefined ? { type: 'started', at: now } : undefined;
        }
        return { type: 'started', at: now };
      case 'die': {
        const byOperator = this.stopSignalled(now);
        this.stopSignalAt = undefined;
        const down: Down = byOperator ? { type: 'stopped', by: 'operator', at: now } : { type: 'stopped', by: 'exit', at: now, exitCode: ev.exitCode ?? -1, oom: this.oom };
        this.lastDown = down;
        // The die of the run healer's restart ends is healer's, unless that restart then fails (endAction).
        if (ours && !this.own.startedSinceAction) {
          if (this.own.acting) this.own.ownDie = down;
          return undefined;
        }
        // A die after the new run started is that run's: a crash, or an operator's stop.
        if (this.own.acting) {
          this.own.meanwhile.push(down);
          return undefined;
        }
        return down;
      }
      case 'stop': {
        if (ours && !this.own.startedSinceAction) return undefined;
        // `docker stop` always ends with a `stop` event, whatever signal it sent (`--signal SIGINT`) and
        // however long the app took to exit: the exit is the operator's.
        const down: Down = { type: 'stopped', by: 'operator', at: now };
        this.lastDown = down;
        if (this.own.acting) {
          // The stop that ends a die taken meanwhile says how that run went down (as one input, as before).
          const last = this.own.meanwhile.at(-1);
          if (last?.type === 'stopped') this.own.meanwhile[this.own.meanwhile.length - 1] = down;
          else this.own.meanwhile.push(down);
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
