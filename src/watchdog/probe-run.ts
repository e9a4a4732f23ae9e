import type { ProbePolicy } from '../config/policy.ts';
import type { PolledKind } from '../probes/index.ts';
import { budgetedProbe, type BudgetedWatch } from './budgeted-probe.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { Role } from './machine-types.ts';
import { countedResult, logProbe } from './probe-once.ts';
import type { ProbeSlot } from './probe-slots.ts';
import type { WatchDeps } from './watch-types.ts';

/**
 * What one probe run of a watch does with its result: run under the match budget (budgeted-probe.ts),
 * then the counts, the last result, the history row and the log line, then the input to the state
 * machine. Apart from ContainerWatch so that the watch keeps the state machine's side (inputs, actions,
 * parking) and this keeps the probe's side; the schedules themselves are probe-slots.ts.
 */
export class ProbeRuns {
  private readonly watch: ContainerWatch;
  private readonly deps: WatchDeps;
  /** The last inconclusive reason logged, so a repeated one is not logged on every probe (logProbe). */
  private lastInconclusive: string | undefined;

  constructor(watch: ContainerWatch, deps: WatchDeps) {
    this.watch = watch;
    this.deps = deps;
  }

  /**
   * Whether its liveness probe passes now (run once, off schedule): a restart that waited for a slot asks.
   * A body match here is gated by, and charged to, the match budget as a scheduled one is: 'unsure' when
   * the budget puts it off, 'inconclusive' when it ran and got no answer healer can judge (an exec the
   * engine did not answer in time, a target that cannot be routed): no result either way, so the caller
   * acts on neither a pass nor a fail (a scheduled inconclusive probe is no failure either).
   */
  async passesNow(): Promise<'pass' | 'fail' | 'unsure' | 'inconclusive'> {
    const w = this.watch;
    const p = w.policy.liveness;
    if (!p || p.spec.kind === 'docker' || w.isClosed) return 'fail';
    const outcome = await budgetedProbe(this.budgeted(), 'liveness', p, this.deps.probers[p.spec.kind], (signal) => this.deps.route(w, p, signal), {});
    if (outcome === 'put off') w.counts.probes.liveness.delayed++;
    if (outcome === 'put off') return 'unsure';
    if (outcome.result.inconclusive === true) return 'inconclusive';
    return outcome.result.ok ? 'pass' : 'fail';
  }

  /** This watch as the match budget's probes see it (budgeted-probe.ts). */
  private budgeted(): BudgetedWatch {
    const w = this.watch;
    return { id: w.id, clock: this.deps.clock, log: w.log, budget: this.deps.matchBudget, closed: () => w.isClosed };
  }

  /** One scheduled probe run (probe-slots.ts): its result is counted, logged and fed to the state machine. */
  async probe(role: Role, p: ProbePolicy, slot: ProbeSlot): Promise<void> {
    const w = this.watch;
    const kind = p.spec.kind as PolledKind;
    const outcome = await budgetedProbe(this.budgeted(), role, p, this.deps.probers[kind], (signal) => this.deps.route(w, p, signal), slot);
    if (outcome === 'put off') w.counts.probes[role].delayed++;
    if (w.isClosed || outcome === 'put off') return;
    const result = countedResult(outcome.result, this.deps.engineUp?.());
    const at = this.deps.clock.now();
    // (The match time is healer's own cost, not the container's: not in the status.)
    w.last[role] = result.matchMs === undefined ? { ...result, at } : { ...result, matchMs: undefined, at };
    w.counts.probes[role][result.inconclusive ? 'error' : result.ok ? 'success' : 'failure']++;
    this.deps.observer.probe(kind, result.latencyMs / 1000);
    if (!result.inconclusive) this.deps.history?.probe(w.id, w.name, role, result.ok, result.latencyMs, at);
    w.configProblem = outcome.problem;
    this.lastInconclusive = logProbe(w.log, role, p, result, this.lastInconclusive);
    if (result.inconclusive) return;
    w.feed({ type: 'probe', role, ok: result.ok, at });
  }
}
