/**
 * The alerts an earlier healer left open (the state file), told again to channels that keep conditions
 * open (Alertmanager) only once this healer has seen the condition still there: its own failing probe,
 * an `unhealthy` HEALTHCHECK, a crash of a container still in its crash loop (whose alert a container
 * with a liveness probe has re-told with its `unhealthy`, which ends both), a `restart_failed` whose
 * container is found still down or still failing, a `held` whose start this healer holds again (that
 * hold is then no new `held` for chat channels, which were told; a hold after the container ran again,
 * found running or started since, is a new one). A condition that ended
 * while no healer ran is then only resolved, never fired first; one whose container stays stopped is not
 * kept firing by healer (Alertmanager lets it lapse by its `resolve_timeout`; the state file still owes
 * its end, sent when the container runs and passes again). It tells through the watch's `reopen` effect.
 */
import type { Action, Input, MachineState, Role } from './machine-types.ts';

/** A kept alert to tell again: the event and the time its condition began (its startsAt). */
export interface Reopen {
  readonly event: 'unhealthy' | 'not_ready' | 'crashloop' | 'restart_failed';
  readonly since: number;
}

const EVENT = { liveness: 'unhealthy', readiness: 'not_ready' } as const;

/** One watch's kept alerts still waiting to be seen open (told once each) or ended (never told). */
export class KeptAlerts {
  private readonly tracks = new Map<Role, number>();
  private loop: number | undefined;
  /** When the kept `held` and `restart_failed` were alerted (held is re-told by the first hold, filter()). */
  private held: number | undefined;
  private failed: number | undefined;
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
    // A held start (no liveness probe judged it down) of a container found running was of a down time
    // that is over: a hold from now on is a new one, told to every channel.
    const heldOver = s.lifecycle === 'running' && s.liveness.up !== false;
    if (s.heldSince !== undefined && !heldOver) this.held = Math.min(s.heldSince, now);
    if (s.failedSince !== undefined) this.failed = Math.min(s.failedSince, now);
  }

  /**
   * The actions a decision dispatches: this healer's first `held` of a start or restart an earlier
   * healer held and alerted already is marked `kept` (told to Alertmanager again, firing since then;
   * chat channels were told). A `restart_failed` anew is alerted as such, and speaks for the kept one.
   */
  filter(actions: readonly Action[]): readonly Action[] {
    if (this.held === undefined && this.failed === undefined) return actions;
    const since = this.held;
    if (actions.some((a) => a.type === 'notify' && a.event === 'restart_failed')) this.failed = undefined;
    if (since === undefined || !actions.some((a) => a.type === 'notify' && a.event === 'held')) return actions;
    this.held = undefined;
    return actions.map((a) => (a.type === 'notify' && a.event === 'held' ? { ...a, kept: since } : a));
  }

  /**
   * At start, once inspect's word was fed: a crash loop of a container found down after a crash (exit
   * code not 0, or OOM-killed) is still going on.
   */
  atStart(s: MachineState, crashedDown: boolean, owedDown: boolean): void {
    if (this.loop !== undefined && crashedDown) this.tell({ event: 'crashloop', since: this.loop });
    if (crashedDown) this.loop = undefined;
    // A start (or restart) the engine refused leaves the container down: found still down, it still fails.
    this.settle(s);
    if (this.failed !== undefined && (crashedDown || owedDown)) this.tellFailed();
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
      // A refused restart of a container that still fails still stands: told again with its `unhealthy`.
      if (failed && role === 'liveness' && this.failed !== undefined && s.failedSince !== undefined) {
        out.push({ event: 'restart_failed', since: this.failed });
        this.failed = undefined;
      }
      if (failed || s[role].up !== false) this.tracks.delete(role);
    }
    const crashed = input.type === 'stopped' && input.by === 'exit' && (input.exitCode !== 0 || input.oom);
    if (this.loop !== undefined && crashed && loopOwed(s)) {
      out.push({ event: 'crashloop', since: this.loop });
      this.loop = undefined;
    }
    // A start ends the down time a kept hold was of: the next hold is a new incident, not its re-tell.
    if (input.type === 'started') this.held = undefined;
    this.settle(s);
    for (const r of out) this.tell(r);
  }

  /** Whether its liveness is down only by the state file's word: this healer has not seen it fail yet. */
  get livenessUnjudged(): boolean {
    return this.tracks.has('liveness');
  }

  /** Whether any kept alert still waits for its confirmation. */
  get waiting(): boolean {
    return this.tracks.size > 0 || this.loop !== undefined || this.held !== undefined || this.failed !== undefined;
  }

  private tellFailed(): void {
    if (this.failed === undefined) return;
    this.tell({ event: 'restart_failed', since: this.failed });
    this.failed = undefined;
  }

  /** Kept alerts ended meanwhile (a `recovered`, an operator's stop) are never told. */
  private settle(s: MachineState): void {
    if (this.loop !== undefined && !loopOwed(s)) this.loop = undefined;
    if (s.heldSince === undefined) this.held = undefined;
    if (s.failedSince === undefined) this.failed = undefined;
  }
}

/**
 * Whether an open crash loop's alert still stands: one only a `recovered` ends, not said yet (`unresolved`,
 * no liveness probe), or the `unhealthy` of a container with one, whose `recovered` ends both.
 */
function loopOwed(s: MachineState): boolean {
  return s.budget.loop === 'open' && (s.unresolved || s.liveness.up === false);
}
