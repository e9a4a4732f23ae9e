import { formatProbeSpec } from '../config/probe-spec.ts';
import { notBefore, restartsInWindow } from './budget.ts';
import type { ContainerWatch } from './container-watch.ts';

/** One container as the status data shows it: policy, states, last probes, restarts, standing decisions. */
export interface ContainerStatus {
  readonly id: string;
  readonly name: string;
  readonly project: string | undefined;
  readonly service: string | undefined;
  readonly lifecycle: string;
  readonly liveness: { readonly probe: string; readonly up: boolean | undefined; readonly failures: number } | undefined;
  readonly readiness: { readonly probe: string; readonly up: boolean | undefined; readonly failures: number } | undefined;
  readonly lastProbe: ContainerWatch['last'];
  readonly restartsInWindow: number;
  readonly crashLoop: 'closed' | 'open' | 'gave_up';
  readonly backoffUntil: string | undefined;
  readonly pending: string | undefined;
  readonly heldBy: string | undefined;
  readonly lastExit: { readonly exitCode: number; readonly oom: boolean; readonly at: string } | undefined;
}

export function containerStatus(w: ContainerWatch, now: number): ContainerStatus {
  const s = w.state;
  const rules = { backoff: w.policy.backoff, crashloop: w.policy.crashloop };
  const due = notBefore(s.budget, rules);
  const track = (role: 'liveness' | 'readiness') => {
    const p = w.policy[role];
    return p ? { probe: formatProbeSpec(p.spec), up: s[role].up, failures: s[role].failures } : undefined;
  };
  return {
    id: w.id,
    name: w.name,
    project: w.info.project,
    service: w.info.service,
    lifecycle: s.lifecycle,
    liveness: track('liveness'),
    readiness: track('readiness'),
    lastProbe: w.last,
    restartsInWindow: restartsInWindow(s.budget, now, rules),
    crashLoop: s.budget.loop,
    backoffUntil: due !== undefined && due > now ? new Date(due).toISOString() : undefined,
    pending: s.pending ? `${s.pending.kind}: ${s.pending.reason}` : undefined,
    heldBy: s.heldBy,
    lastExit: s.lastExit ? { exitCode: s.lastExit.exitCode, oom: s.lastExit.oom, at: new Date(s.lastExit.at).toISOString() } : undefined,
  };
}
