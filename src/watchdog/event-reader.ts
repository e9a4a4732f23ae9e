import { constants } from 'node:os';
import type { ContainerEvent } from '../docker/types.ts';
import type { Exit, Input } from './machine-types.ts';

/**
 * How long after an operator's stop signal the exit still counts as that operator's stop. `docker stop`
 * sends the stop signal, then SIGKILL after its grace (a second `kill` event), so a stop that takes its
 * whole grace is still covered; a signal the container survived does not mark its next crash.
 */
export const STOP_SIGNAL_WINDOW_MS = 60_000;

/** A signal as the engine names it (`15`, `SIGTERM`, `TERM`) → its number; undefined when unknown. */
export function signalNumber(signal: string | undefined): number | undefined {
  if (signal === undefined) return undefined;
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) return Number(s);
  const name = (s.startsWith('SIG') ? s : `SIG${s}`) as keyof typeof constants.signals;
  return constants.signals[name];
}

const SIGKILL = 9;
const SIGTERM = 15;

/**
 * Reads one container's event stream into state-machine inputs. It remembers what the events between
 * them say: which kill/die/stop/start belong to healer's own action, whether an operator sent a stop
 * signal (SIGKILL, SIGTERM or the container's StopSignal; a `kill -s HUP` reload is not a stop), an OOM
 * kill, and a crash of the new run that happens while healer's own action is still being answered.
 */
export class EventReader {
  /** healer's restarts whose closing `restart` event has not arrived: their kill/die/stop/start are healer's. */
  private ownRestartEvents = 0;
  /** healer's restart or start is being answered by the engine. */
  private acting = false;
  /** The new run has started since healer's action began: a die now is a crash of that run. */
  private startedSinceAction = false;
  private exitWhileActing: Exit | undefined;
  private stopSignalAt: number | undefined;
  private oom = false;
  /** healer handed this (task) container back: every kill, die and stop from now on is healer's. */
  private handedBack = false;

  /** healer is about to restart, start or hand back (stop or remove) the container. */
  beginAction(kind: 'restart' | 'start' | 'replace'): void {
    if (kind === 'replace') this.handedBack = true;
    this.acting = true;
    this.startedSinceAction = false;
    this.exitWhileActing = undefined;
    if (kind === 'restart') this.ownRestartEvents++;
  }

  /** healer's action was answered; returns the crash of the new run seen meanwhile, if any. */
  endAction(ok: boolean): Exit | undefined {
    this.acting = false;
    if (!ok) {
      this.ownRestartEvents = 0;
      // A failed hand-back leaves the container to be read as before: a later stop is someone's stop.
      this.handedBack = false;
    }
    const exit = this.exitWhileActing;
    this.exitWhileActing = undefined;
    return exit;
  }

  /** The input an event means for the state machine, if any. `stopSignal` is the container's own. */
  read(ev: ContainerEvent, now: number, stopSignal: string | undefined): Input | undefined {
    // A start after a hand-back is someone else's (healer never starts a task): it ends the hand-back.
    const ours = this.acting || this.ownRestartEvents > 0 || (this.handedBack && ev.action !== 'start');
    switch (ev.action) {
      case 'restart':
        if (this.ownRestartEvents > 0) this.ownRestartEvents--;
        return undefined;
      case 'kill': {
        const n = signalNumber(ev.signal);
        // An event without its signal (older engines) is taken for a stop, as before.
        const stops = n === undefined || n === SIGKILL || n === SIGTERM || n === signalNumber(stopSignal);
        if (!ours && stops) this.stopSignalAt = now;
        return undefined;
      }
      case 'oom':
        this.oom = true;
        return undefined;
      case 'start':
        this.stopSignalAt = undefined;
        this.oom = false;
        this.handedBack = false;
        if (ours) {
          this.startedSinceAction = true;
          return undefined;
        }
        return { type: 'started', at: now };
      case 'die': {
        const exit: Exit = { at: now, exitCode: ev.exitCode ?? -1, oom: this.oom };
        if (ours) {
          // The die of the run healer's restart ends is healer's; a die after the new run started is a crash.
          if (!this.startedSinceAction) return undefined;
          if (this.acting) {
            this.exitWhileActing = exit;
            return undefined;
          }
          return { type: 'stopped', by: 'exit', ...exit };
        }
        const byOperator = this.stopSignalAt !== undefined && now - this.stopSignalAt <= STOP_SIGNAL_WINDOW_MS;
        this.stopSignalAt = undefined;
        return byOperator ? { type: 'stopped', by: 'operator', at: now } : { type: 'stopped', by: 'exit', ...exit };
      }
      case 'stop':
        return ours ? undefined : { type: 'stopped', by: 'operator', at: now };
      case 'pause':
        return { type: 'paused', at: now };
      case 'unpause':
        return { type: 'unpaused', at: now };
      default:
        return undefined;
    }
  }
}
