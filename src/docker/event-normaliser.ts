import { HOLD_MS, RESTART_HOLD_MS, SECOND_CLEANUP_MS, SIGKILL_EXIT, SIGTERM_EXIT } from './event-holds.ts';
import { realTimers, type Timers } from './event-timers.ts';
import type { ContainerEvent } from './types.ts';

export { HOLD_MS, RESTART_HOLD_MS, SECOND_CLEANUP_MS, SIGKILL_EXIT, SIGTERM_EXIT } from './event-holds.ts';
export { realTimers, type Timers } from './event-timers.ts';

interface Held {
  kill?: { ev: ContainerEvent; timer: unknown } | undefined;
  die?: { ev: ContainerEvent; timer: unknown } | undefined;
  stop?: { ev: ContainerEvent; timer: unknown } | undefined;
  restart?: { ev: ContainerEvent; timer: unknown } | undefined;
  health?: string | undefined;
  /** `cleanup` events since the held `die`: two are a stop's, one an exit's (see EventNormaliser). */
  cleanups?: number | undefined;
  /** An `oom` event since the last start: a 137 that follows is the kernel's, not a stop's. */
  oom?: boolean | undefined;
}

/**
 * Turns an engine's event stream into Docker 20.10's dialect, per container, so the watchdog reads one
 * language. For every engine: repeated identical health states are dropped (Podman sends one per check).
 * On Podman only (Docker already speaks this way):
 *  - `stop` without a `kill` (`podman stop`, API stop): a `kill` (signal SIGTERM) is put before it and the
 *    `stop` is held until its `die`, giving Docker's kill, die, stop; a `die` is held (SECOND_CLEANUP_MS)
 *    to see whether a `stop` (or a removal: `podman rm -f`) follows it, and then gets the same kill.
 *    Measured on podman 4.3: the `stop` event is not reliable (a container that exits on SIGTERM leaves
 *    only its `die`; one stopped by SIGKILL sometimes `stop` + `die`, sometimes only `die` 137), but a
 *    stop (CLI or API, whatever the exit code) is always followed by two `cleanup` events (the stop's
 *    own and conmon's, within ~150 ms here), an exit on its own (a crash, a SIGKILL from outside the
 *    engine) by one. So a held `die` that a second `cleanup` follows gets the kill (an operator's stop);
 *    one that only one follows in SECOND_CLEANUP_MS is an exit with its code (137 too: as on Docker, a
 *    SIGKILL healer's engine did not send is a crash). When the cleanups cannot tell (none at all: a
 *    stream without them; or the die released early, by another event or a lost stream) the code
 *    decides: 143 (SIGTERM) or 137 (SIGKILL, no `oom` since the start) is a stop, else an exit.
 *  - `kill` carries no signal: held HOLD_MS; when the container dies in that time it is delivered as
 *    SIGKILL (it stopped the container), otherwise without a signal.
 *  - `restart` comes before the die/start it stands for (and no kill): it is held until the next
 *    `start`, so the restart closes the sequence as on Docker, and its `die` gets a kill before it.
 * Held events are released in order when any other event of that container arrives, and all at once by
 * flush() (stream lost, or healer stops).
 */
export class EventNormaliser {
  private readonly held = new Map<string, Held>();
  private readonly kind: 'docker' | 'podman';
  private readonly emit: (ev: ContainerEvent) => void;
  private readonly timers: Timers;

  constructor(kind: 'docker' | 'podman', emit: (ev: ContainerEvent) => void, timers: Timers = realTimers) {
    this.kind = kind;
    this.emit = emit;
    this.timers = timers;
  }

  push(ev: ContainerEvent): void {
    // Not part of a container's run (Podman's holds are of kill, die and stop): passed on as they come.
    if (ev.action === 'network_connect' || ev.action === 'network_disconnect') return this.emit(ev);
    const h = this.state(ev.id);
    if (ev.action === 'health_status') {
      if (ev.health === h.health) return;
      h.health = ev.health;
    }
    if (ev.action === 'start' || ev.action === 'destroy') {
      h.health = undefined;
      h.oom = false;
    }
    if (ev.action === 'oom') h.oom = true;
    if (this.kind === 'docker') {
      this.emit(ev);
      if (ev.action === 'destroy') this.held.delete(ev.id);
      return;
    }
    this.podman(ev, h);
    if (ev.action === 'destroy' && !h.restart) this.held.delete(ev.id);
  }

  /**
   * Releases everything held. `lost`: the stream broke (or was dropped as stalled). A held `die` then can
   * no longer be told: its cleanups went with the stream, and neither its code (an app may exit 1 on
   * SIGTERM) nor inspect data tell a `podman stop` from a crash. Read as a crash, healer would start a
   * container an operator stopped; so it is taken for a stop (unless an `oom` says the kernel killed it).
   * Returns those whose code alone would have read as a crash, for the caller to say so.
   */
  flush(lost = false): ContainerEvent[] {
    const taken: ContainerEvent[] = [];
    for (const [id, h] of this.held) {
      if (lost && h.die) {
        const die = this.take(h, 'die');
        const oomKill = h.oom === true && die.exitCode === SIGKILL_EXIT;
        if (!oomKill) this.emit(synthKill(die, die.time));
        if (!oomKill && !stopByCode(die, h)) taken.push(die);
        this.emit(die);
      }
      this.releaseAll(h);
      this.held.delete(id);
    }
    return taken;
  }

  private podman(ev: ContainerEvent, h: Held): void {
    switch (ev.action) {
      case 'kill':
        this.releaseAll(h);
        if (ev.signal !== undefined) return this.emit(ev);
        h.kill = { ev, timer: this.timers.set(() => this.releaseKill(h, undefined), HOLD_MS) };
        return;
      case 'stop': {
        const die = h.die;
        this.releaseKill(h, 'SIGKILL');
        if (die) {
          this.take(h, 'die');
          this.emit(synthKill(die.ev, ev.time));
          this.emit(die.ev);
          return this.emit(ev);
        }
        this.emit(synthKill(ev, ev.time));
        h.stop = { ev, timer: this.timers.set(() => this.releaseStop(h), HOLD_MS) };
        return;
      }
      case 'die':
        if (h.kill) {
          this.releaseKill(h, 'SIGKILL');
          return this.emit(ev);
        }
        if (h.stop) {
          const stop = this.take(h, 'stop');
          this.emit(ev);
          return this.emit(stop);
        }
        if (h.restart) {
          // a restart's exit: healer's own (the watchdog counts to the restart) or an operator's
          this.emit(synthKill(ev, ev.time));
          return this.emit(ev);
        }
        this.releaseDie(h);
        h.cleanups = 0;
        h.die = { ev, timer: this.timers.set(() => this.releaseDie(h, true), SECOND_CLEANUP_MS) };
        return;
      case 'destroy':
        if (h.die) {
          const die = this.take(h, 'die');
          this.emit(synthKill(die, ev.time));
          this.emit(die);
        }
        this.releaseAll(h);
        return this.emit(ev);
      case 'cleanup':
        // Counted against a held die and never passed on (Docker has no such event).
        if (h.die && (h.cleanups = (h.cleanups ?? 0) + 1) >= 2) {
          const die = this.take(h, 'die');
          this.emit(synthKill(die, die.time));
          this.emit(die);
        }
        return;
      case 'restart':
        this.releaseAll(h);
        h.restart = { ev, timer: this.timers.set(() => this.releaseRestart(h), RESTART_HOLD_MS) };
        return;
      case 'start':
        this.releaseKill(h, undefined);
        this.releaseDie(h);
        this.releaseStop(h);
        this.emit(ev);
        this.releaseRestart(h);
        return;
      default:
        this.releaseKill(h, undefined);
        this.releaseDie(h);
        this.releaseStop(h);
        this.emit(ev);
    }
  }

  private state(id: string): Held {
    let h = this.held.get(id);
    if (!h) this.held.set(id, (h = {}));
    return h;
  }

  private take(h: Held, key: 'kill' | 'die' | 'stop' | 'restart'): ContainerEvent {
    const slot = h[key];
    if (!slot) throw new Error(`nothing held as ${key}`);
    this.timers.clear(slot.timer);
    h[key] = undefined;
    return slot.ev;
  }

  private releaseKill(h: Held, signal: string | undefined): void {
    if (h.kill) this.emit({ ...this.take(h, 'kill'), signal });
  }

  /**
   * A held exit no stop explained. Released by its timer (`waited`) after exactly one `cleanup`, it is an
   * exit on its own. Otherwise the cleanups cannot tell (none came: a stream without them; or it is released
   * early, by another event of the container, when a stop's second may still be on its way; a lost stream
   * is flush's), and the code decides: 143 is what SIGTERM's default action leaves, 137 what the SIGKILL at the end
   * of a stop's grace leaves (unless the kernel's OOM killer sent it): someone's stop.
   */
  private releaseDie(h: Held, waited = false): void {
    if (!h.die) return;
    const die = this.take(h, 'die');
    const byCode = stopByCode(die, h);
    const oneCleanupTold = waited && h.cleanups === 1;
    if (!oneCleanupTold && byCode) this.emit(synthKill(die, die.time));
    this.emit(die);
  }

  private releaseStop(h: Held): void {
    if (h.stop) this.emit(this.take(h, 'stop'));
  }

  private releaseRestart(h: Held): void {
    if (h.restart) this.emit(this.take(h, 'restart'));
  }

  private releaseAll(h: Held): void {
    this.releaseKill(h, undefined);
    this.releaseDie(h);
    this.releaseStop(h);
    this.releaseRestart(h);
  }
}

/** 143 is SIGTERM's default action's; 137 a stop's SIGKILL, unless the OOM killer sent it. */
function stopByCode(die: ContainerEvent, h: Held): boolean {
  return die.exitCode === SIGTERM_EXIT || (die.exitCode === SIGKILL_EXIT && !h.oom);
}

/** The kill Docker sends before a stop's exit, for engines that do not report it. */
function synthKill(of: ContainerEvent, time: number): ContainerEvent {
  return { ...of, action: 'kill', exitCode: undefined, health: undefined, signal: 'SIGTERM', time };
}
