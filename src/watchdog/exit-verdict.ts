/**
 * The engine's verdict on one exit (restart-policy.ts engineGaveUp), read once: from the first inspect
 * data of an exit healer saw live (its `die`). Docker decides before it sends the `die`, so that first
 * read is the verdict. What a later read of the same exit finds is not: a container the engine was
 * restarting (its restart delay) that is later found exited and not restarting was stopped or killed by
 * someone (Docker cancels the restart and sends a `stop` only, or nothing for a `docker kill`), and
 * starting it would undo their stop. An exit healer did not see live (found at start-up, at a resync, its
 * events never came) has no verdict at all: alerted and left down. (A failed restart is a new exit:
 * Docker sends a `die` for it.)
 */
import { engineGaveUp } from '../docker/restart-policy.ts';
import type { ContainerInfo } from '../docker/types.ts';

/**
 * How far an exit's FinishedAt and its die's time may lie apart on the engine's clock: the die follows
 * the FinishedAt by milliseconds, but an event may carry whole seconds only (parse-event.ts).
 */
export const DIE_SLACK_MS = 2000;

type VerdictInfo = Pick<ContainerInfo, 'restartPolicy' | 'restartRetries' | 'restartCount' | 'running' | 'restarting' | 'decidesRestartAtExit' | 'finishedAt'>;

/** The verdict awaited for the exit a watch holds, and the engine times of the events it is read against. */
export class ExitVerdict {
  /** Engine time of the last `start` event seen: inspect data of an exit before it says nothing of the next. */
  startSeenAt = 0;
  /** Engine time of the last `die` event seen: the exit whose verdict is read. */
  dieSeenAt = 0;
  /** The engine time of the die whose verdict is awaited (0: not known), or undefined: none awaited. */
  private awaited: number | undefined;
  /** The die last armed: the same die fed twice (held back during an action, then read) is one exit. */
  private armedFor: number | undefined;

  /** An engine event of the container (event-router.ts): its start and die times are what data is read against. */
  seen(action: string, time: number): void {
    if (action === 'start' && time > 0) this.startSeenAt = Math.max(this.startSeenAt, time);
    if (action === 'die') this.dieSeenAt = time;
  }

  /** The watch holds an exit: seen live (its die the last seen), whose verdict is awaited; or found by inspect only. */
  exited(live: boolean): void {
    if (live) this.live(this.dieSeenAt);
    else this.none();
  }

  /** An exit seen live (its die at `dieAt`, engine time; 0 when not known): its verdict is awaited. */
  live(dieAt: number): void {
    if (dieAt !== 0 && dieAt === this.armedFor) return;
    this.armedFor = dieAt;
    this.awaited = dieAt;
  }

  /** The exit held was not seen live, or is over (the container runs again): no verdict is awaited. */
  none(): void {
    this.awaited = undefined;
  }

  /**
   * Fresh inspect data: true when it is the awaited verdict and says the engine left the exit down. Data
   * of another exit (before the last start seen; read before the die) leaves the verdict awaited; the
   * first data of this exit ends the wait, whatever it says.
   */
  take(info: VerdictInfo): boolean {
    const dieAt = this.awaited;
    const startSeenAt = this.startSeenAt;
    if (dieAt === undefined) return false;
    // Answered across a start: the data tells of the exit before it.
    if (startSeenAt !== 0 && info.finishedAt <= startSeenAt) return false;
    // Running and not restarting: read before the die, or already restarted by the engine (its exit is
    // this die's): only the second is this exit's verdict (the engine brings it back).
    if (info.running && !info.restarting && (dieAt === 0 || info.finishedAt < dieAt - DIE_SLACK_MS)) return false;
    this.awaited = undefined;
    // Left down with an exit later than the die seen: an exit healer did not see live.
    return engineGaveUp(info) && (dieAt === 0 || info.finishedAt <= dieAt + DIE_SLACK_MS);
  }
}
