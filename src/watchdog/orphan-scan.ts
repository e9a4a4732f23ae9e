import type { Logger } from 'pino';
import type { Engine } from '../docker/engine.ts';
import type { TaskStanding } from '../docker/services.ts';
import type { ContainerInfo } from '../docker/types.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { Limit } from './limit.ts';

/** Task questions at once during a scan: few, so a resync's inspects and actions are not crowded out. */
const ASK_CONCURRENCY = 4;

/** Injected: the engine asked about tasks and containers, the clock of the `orphaned` input, the log for the one notice. */
export interface OrphanScanDeps {
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Whether a running task container has ended before: an orchestrator never starts one of its task
 * containers again (it makes a new task, even after its engine restarts), so one that runs after it ended
 * was started by someone else. Read from the container itself, so a worker can tell too.
 */
export function startedAgain(info: Pick<ContainerInfo, 'task' | 'running' | 'finishedAt'>): boolean {
  return info.task !== undefined && info.running && info.finishedAt > 0;
}

/**
 * Finds orphans that no event showed: a task container restarted while healer was not running, or while
 * its event stream was down, runs on although its orchestrator has ended its task. After each full
 * discovery (start-up, every reconnect) it asks, for each running task container, whether its task is
 * still the current one, and looks whether the container was started again after it had ended; either
 * makes it an orphan, fed to its watch as `orphaned`, which reports it and, when the policy allows, hands
 * it back, as for an orphan seen starting. An engine that cannot answer (a Swarm worker, a socket proxy
 * without TASKS=1) is said once in the log and asked once per scan; the container's own record still counts.
 */
export class OrphanScan {
  private readonly deps: OrphanScanDeps;
  private readonly asks = new Limit(ASK_CONCURRENCY);
  /** Containers already reported as orphans by a scan: not asked about again while they run. */
  private readonly reported = new Set<string>();
  private told = false;
  /** The scan under way, and the one more scan asked for while it runs (at most one, whatever the requests). */
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** The watches of the newest request: what the follow-up scan looks at. */
  private latest: ReadonlyMap<string, ContainerWatch> | undefined;

  constructor(deps: OrphanScanDeps) {
    this.deps = deps;
  }

  /**
   * Looks at every running task container among `watches` not yet reported (by a scan, or by its own
   * start event as it happened); never rejects. A scan asked for while one runs is not dropped (the
   * containers discovered since would go unasked until the next reconnect): all such requests become one
   * more scan after the current one ends, and their promises settle when that one does.
   */
  scan(watches: ReadonlyMap<string, ContainerWatch>): Promise<void> {
    this.latest = watches;
    if (!this.running) {
      this.running = this.scanOnce(watches).finally(() => (this.running = undefined));
      return this.running;
    }
    // `running` is cleared before this runs (its finally comes first), so the next scan starts afresh.
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.scan(this.latest ?? watches);
    });
    return this.next;
  }

  private async scanOnce(watches: ReadonlyMap<string, ContainerWatch>): Promise<void> {
    for (const id of this.reported) if (!watches.has(id)) this.reported.delete(id);
    const [first, ...rest] = [...watches.values()].filter(
      (w) => w.info.task && w.info.running && w.state.lifecycle === 'running' && !w.state.inFlight && !w.orphanSeen && !this.reported.has(w.id),
    );
    if (!first) return;
    // The first answer tells whether this engine can answer at all: a worker is asked once, not per task.
    const answers = await this.check(first, watches, true);
    await Promise.all(rest.map((w) => this.asks.run(() => this.check(w, watches, answers))));
  }

  /** Judges one task container, asking the engine when `ask`; false: the engine cannot answer such questions. */
  private async check(w: ContainerWatch, watches: ReadonlyMap<string, ContainerWatch>, ask: boolean): Promise<boolean> {
    const task = w.info.task;
    if (!task) return true;
    try {
      const standing: TaskStanding = ask ? await this.deps.engine.taskStanding(task.taskId, w.id) : { kind: 'unknown', why: 'not asked', lasting: true };
      if (ask && standing.kind === 'unknown') {
        if (standing.lasting) this.tell(standing.why);
        else w.log.debug({ why: standing.why }, 'could not ask whether this task container is an orphan');
      }
      const why = standing.kind === 'ended' ? standing.why : startedAgain(w.info) ? 'its container was started again after it had ended' : undefined;
      if (why !== undefined) await this.orphaned(w, watches, why);
      return standing.kind !== 'unknown' || !standing.lasting;
    } catch (err) {
      w.log.warn({ err: (err as Error).message }, 'could not tell whether this task container is an orphan');
      return true;
    }
  }

  private async orphaned(w: ContainerWatch, watches: ReadonlyMap<string, ContainerWatch>, why: string): Promise<void> {
    // What was read may describe a container that has just exited: only one still in the same run as
    // when the watch last saw it is an orphan.
    const fresh = await this.deps.engine.inspect(w.id);
    if (!fresh?.running || fresh.startedAt !== w.info.startedAt || watches.get(w.id) !== w) return;
    this.reported.add(w.id);
    w.feed({ type: 'orphaned', at: this.deps.clock.now(), reason: `runs outside its orchestrator, which no longer tracks it: ${why} (an orphan)` });
  }

  /** Said once per process: on a worker this is how things are, not a fault. */
  private tell(why: string): void {
    if (this.told) return;
    this.told = true;
    this.deps.log.info({ why }, "orphans are found from their containers' own record only: the engine cannot say which tasks are current");
  }
}
