import type { Logger } from 'pino';
import type { Engine } from '../docker/engine.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { Limit } from './limit.ts';

/** Task questions at once during a scan: few, so a resync's inspects and actions are not crowded out. */
const ASK_CONCURRENCY = 4;

export interface OrphanScanDeps {
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Finds orphans that no event showed: a task container restarted while healer was not running, or while
 * its event stream was down, runs on although its orchestrator has ended its task. After each full
 * discovery (start-up, every reconnect) it asks, for each running task container, whether its task is
 * still the current one; one that is not is fed to its watch as `orphaned`, which reports it and, when
 * the policy allows, hands it back, as for an orphan seen starting. An engine that cannot answer (a Swarm
 * worker, a socket proxy without TASKS=1) is said once in the log and not asked again in that scan: the
 * live path (the container's own start event) still finds orphans on every node.
 */
export class OrphanScan {
  private readonly deps: OrphanScanDeps;
  private readonly asks = new Limit(ASK_CONCURRENCY);
  /** Containers already reported as orphans by a scan: not asked about again while they run. */
  private readonly reported = new Set<string>();
  private told = false;

  constructor(deps: OrphanScanDeps) {
    this.deps = deps;
  }

  /** Asks about every running task container among `watches`; never rejects. */
  async scan(watches: ReadonlyMap<string, ContainerWatch>): Promise<void> {
    for (const id of this.reported) if (!watches.has(id)) this.reported.delete(id);
    const [first, ...rest] = [...watches.values()].filter((w) => w.info.task && w.info.running && !this.reported.has(w.id));
    // The first answer tells whether this engine can answer at all: a worker is asked once, not per task.
    if (!first || !(await this.check(first, watches))) return;
    await Promise.all(rest.map((w) => this.asks.run(() => this.check(w, watches))));
  }

  /** Asks about one task container and feeds it as an orphan if it is one; false: the engine cannot answer such questions. */
  private async check(w: ContainerWatch, watches: ReadonlyMap<string, ContainerWatch>): Promise<boolean> {
    const task = w.info.task;
    if (!task || w.state.lifecycle !== 'running' || w.state.inFlight) return true;
    try {
      const standing = await this.deps.engine.taskStanding(task.taskId, w.id);
      if (standing.kind === 'unknown') {
        if (!standing.lasting) w.log.debug({ why: standing.why }, 'could not tell whether this task container is an orphan');
        else this.tell(standing.why);
        return !standing.lasting;
      }
      if (standing.kind === 'current') return true;
      // The answer may describe a container that has just exited: only one still in the same run as when
      // the watch last saw it is an orphan.
      const fresh = await this.deps.engine.inspect(w.id);
      if (!fresh?.running || fresh.startedAt !== w.info.startedAt || watches.get(w.id) !== w) return true;
      this.reported.add(w.id);
      w.feed({ type: 'orphaned', at: this.deps.clock.now(), reason: `runs outside its orchestrator, which no longer tracks it: ${standing.why} (an orphan)` });
    } catch (err) {
      w.log.warn({ err: (err as Error).message }, 'could not tell whether this task container is an orphan');
    }
    return true;
  }

  /** Said once per process: on a worker this is how things are, not a fault. */
  private tell(why: string): void {
    if (this.told) return;
    this.told = true;
    this.deps.log.info({ why }, 'orphans are found from their own start events only: the engine cannot say which tasks are current');
  }
}
