/**
 * The alerts an earlier healer left open (the state file), told again to channels that keep conditions
 * open (Alertmanager) only once this healer has seen the condition still there: its own failing probe,
 * an `unhealthy` HEALTHCHECK, a crash of a container still in its crash loop (whose alert a container
 * with a liveness probe has re-told with its `unhealthy`, which ends both). A condition that ended
 * while no healer ran is then only resolved, never fired first; one whose container stays stopped is not
 * kept firing by healer (Alertmanager lets it lapse by its `resolve_timeout`; the state file still owes
 * its end, sent when the container runs and passes again). It tells through the watch's `reopen` effect.
 */
import type { Input, MachineState, Role } from './machine-types.ts';

/** A kept alert to tell again: the event and the time its condition began (its startsAt). */
export interface Reopen {
  readonly event: 'unhealthy' | 'not_ready' | 'crashloop';
  readonly since: number;
}

const EVENT = { liveness: 'unhealthy', readiness: 'not_ready' } as const;

/** One watch's kept alerts still waiting to be seen open (told once each) or ended (never told). */
export class KeptAlerts {
  private readonly tracks = new Map<Role, number>();
  private loop: number | undefined;
  private readonly tell: (r: Reopen) => void;

  /** `s`: the watch's start state, with the alerts the state file kept restored into it. */
  constructor(s: MachineState, now: number, tell: (r: Reopen) => void) {
    this.tell = tell;
    for (const role of ['liveness', 'readiness'] as const) {
      const since = s[role].failingSince;
      if (s[role].up === false && since !== undefined) this.tracks.set(role, since);
    }
    // Since the loop was alerted (a file written on a clock ahead: now); a file without it (an older healer's): now.
    if (loopOwed(s)) this.loop = Math.min(s.loopSince ?? now, now);
  }

  /**
   * At start, once inspect's word was fed: a crash loop of a container found down after a crash (exit
   * code not 0, or OOM-killed) is still going on.
   */
  atStart(s: MachineState, crashedDown: boolean): void {
    if (this.loop !== undefined && crashedDown) this.tell({ event: 'crashloop', since: this.loop });
    if (crashedDown) this.loop = undefined;
    this.settle(s);
  }

  /**
   * After an input was applied (`before`: the state it was applied to): the kept alerts its result
   * confirms still open; ended ones are dropped. Only a result of a running container confirms one.
   */
  after(input: Input, before: MachineState, s: MachineState): void {
    if (!this.waiting) return;
    const out: Reopen[] = [];
    const running = before.lifecycle === 'running';
    for (const [role, since] of this.tracks) {
      const failed = running && ((input.type === 'probe' && input.role === role && !input.ok) || (role === 'liveness' && input.type === 'health' && input.status === 'unhealthy'));
      if (failed) out.push({ event: EVENT[role], since });
      // A loop of a container with a liveness probe stands while it fails: told again with its `unhealthy`.
      if (failed && role === 'liveness' && this.loop !== undefined && loopOwed(s)) {
        out.push({ event: 'crashloop', since: this.loop });
        this.loop = undefined;
      }
      if (failed || s[role].up !== false) this.tracks.delete(role);
    }
    const crashed = input.type === 'stopped' && input.by === 'exit' && (input.exitCode !== 0 || input.oom);
    if (this.loop !== undefined && crashed && loopOwed(s)) {
      out.push({ event: 'crashloop', since: this.loop });
      this.loop = undefined;
    }
    this.settle(s);
    for (const r of out) this.tell(r);
  }

  /** Whether any kept alert still waits for its confirmation. */
  get waiting(): boolean {
    return this.tracks.size > 0 || this.loop !== undefined;
  }

  private settle(s: MachineState): void {
    if (this.loop !== undefined && !loopOwed(s)) this.loop = undefined;
  }
}

/**
 * Whether an open crash loop's alert still stands: one only a `recovered` ends, not said yet (`unresolved`,
 * no liveness probe), or the `unhealthy` of a container with one, whose `recovered` ends both.
 */
function loopOwed(s: MachineState): boolean {
  return s.budget.loop === 'open' && (s.unresolved || s.liveness.up === false);
}
