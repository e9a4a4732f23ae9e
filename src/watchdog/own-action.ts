import type { Down } from './event-reader.ts';
import type { Input } from './machine-types.ts';
import { STOP_SIGNAL_WINDOW_MS } from './stop-window.ts';

/**
 * What the event reader (event-reader.ts) remembers of healer's own action: which action is under way,
 * which of the container's events are its, what the new run did while the engine answered, and a
 * restart that may still finish late. Apart from the reader so that an action's life (begun, answered,
 * given up at a resync) is read in one place; the reader reads and updates these as events come.
 */
export class OwnAction {
  /** healer's restarts whose closing `restart` event has not arrived: their kill/die/stop/start are healer's. */
  ownRestartEvents = 0;
  /** healer's restart or start is being answered by the engine. */
  acting = false;
  /** What healer's action under way is: a start seen during a stop or a hand-back is someone else's. */
  actingKind: 'restart' | 'start' | 'stop' | 'replace' | undefined;
  /** Someone else started the container while healer stopped it (quarantine, hand-back). */
  startedByOther = false;
  /** The new run has started since healer's action began: a die now is a crash of that run. */
  startedSinceAction = false;
  /**
   * What the new run did while healer's action was still being answered (the answer and the events come
   * over two connections, in no set order): it went down, and maybe was started again (its restart
   * policy, an operator's `docker restart`), in the order the events said.
   */
  meanwhile: Input[] = [];
  /** A die before the new run started, taken for healer's own (its restart's kill, or a crash meanwhile). */
  ownDie: Down | undefined;
  /**
   * healer's last action failed after the container went down in it (a restart whose stop ran and whose
   * start the engine refused): it is down because of healer, which starts it again (no crash, no alert).
   */
  downByOwnAction = false;
  /** When healer's own stop or hand-back sent its stop signal (the engine's kill event), during the action. */
  ownSignalAt: number | undefined;
  /** The last signal healer's restart sent the old run (its kill event), during the action. */
  restartKillAt: number | undefined;
  /**
   * A restart healer stopped waiting for (no answer) after it signalled the container, which has not died
   * yet: the engine carries on with it (a process stuck in uninterruptible I/O dies late). Its die, stop,
   * start and closing `restart` are that restart's, until this time (the stop-signal window after its
   * last signal, the SIGKILL after the grace), its `restart` event, or a resync.
   */
  lateRestartUntil: number | undefined;
  /** healer handed this (task) container back: every kill, die and stop from now on is healer's. */
  handedBack = false;

  /** healer is about to restart, start, stop (quarantine) or hand back (a task: stop, remove) the container. */
  begin(kind: 'restart' | 'start' | 'stop' | 'replace'): void {
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
   * healer's action was answered. Returns what the new run did meanwhile, as inputs in order: a crash (or
   * stop) of it, and its start again when one followed (so a running container is not left taken for
   * down). After a failed action, a die healer had taken for its own with no new run since is no crash:
   * `downByOwnAction` says so.
   */
  end(ok: boolean): readonly Input[] {
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
  endLate(): void {
    this.lateRestartUntil = undefined;
    if (this.ownRestartEvents > 0) this.ownRestartEvents--;
  }
}
