import type { Logger } from 'pino';
import type { ProbePolicy } from '../config/policy.ts';
import type { Prober } from '../probes/types.ts';
import { monotonic, type Clock } from './clock.ts';
import type { Role } from './machine-types.ts';
import { putOff, type MatchBudget } from './match-budget.ts';
import { probeOnce, type ProbeOutcome, type Route } from './probe-once.ts';

/** What a probe run under the match budget needs of its watch. */
export interface BudgetedWatch {
  readonly id: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Absent, or the probe has no `body`: nothing is matched, nothing gated or charged. */
  readonly budget: MatchBudget | undefined;
  readonly closed: () => boolean;
}

/**
 * One probe run, with its body match under the match budget (match-budget.ts): 'put off' (no result,
 * nothing to act on) when the container is over its share before it starts, or when the gate refuses
 * its match once the body has arrived; otherwise its match time is charged. Every path that matches a
 * label's body goes through here (the schedule, and the re-check of a queued restart): none runs a
 * tenant's pattern outside its share.
 */
export async function budgetedProbe(
  w: BudgetedWatch,
  role: Role,
  p: ProbePolicy,
  prober: Prober,
  route: (signal: AbortSignal) => Route | Promise<Route>,
  slot: { ctl?: AbortController | undefined },
): Promise<ProbeOutcome | 'put off'> {
  const budget = p.body ? w.budget : undefined;
  if (!budget) return probeOnce(p, prober, route, slot);
  if (putOff(budget, w.id, monotonic(w.clock), w.log, role, p.body?.source ?? '')) return 'put off';
  // A closed watch's body is not matched at all (no one takes its result: the re-check of a restart
  // whose container was removed meanwhile runs on a slot its close does not abort).
  const gate = (): boolean => !w.closed() && budget.mayMatch(w.id, monotonic(w.clock));
  // (Released however it ends, a throw too: a container not matched yet probes one role at a time.)
  const outcome = await probeOnce(p, prober, route, slot, gate).finally(() => budget.release(w.id));
  if (outcome.result.putOff === true) return 'put off';
  // Charged however it ends; a watch closed meanwhile leaves no account behind (charged to the total only).
  budget.ended(w.id, monotonic(w.clock), outcome.result.matchMs);
  if (w.closed()) budget.forget(w.id);
  return outcome;
}
