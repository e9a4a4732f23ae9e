/**
 * The alerts healer sent whose end it still owes, kept in the state file across healer's own restarts
 * (an upgrade, a reboot, an OOM kill mid-incident): without them the next healer never sent the
 * `recovered` that ends an `unhealthy` its predecessor sent. Pure: read from a state, put back into one.
 */
import type { MachineState, Track } from './machine-types.ts';

/** An alerted condition not ended yet, by what ends it; each time is its episode's first failure. */
export interface OpenAlerts {
  readonly unhealthy?: number | undefined;
  readonly not_ready?: number | undefined;
  readonly unresolved?: true | undefined;
  /** When the crash loop open now was alerted (MachineState.loopSince); absent in files before it. */
  readonly crashloop?: number | undefined;
  /** When the open `held` and `restart_failed` were alerted (MachineState.heldSince, failedSince); absent in files before them. */
  readonly held?: number | undefined;
  readonly restart_failed?: number | undefined;
}

/**
 * The alerts a state has open: a track judged down (its `unhealthy` or `not_ready` went out as it was
 * judged so), `unresolved` (bookkeeping.ts), and when an open crash loop was alerted. A run of failures
 * below the threshold alerted nothing.
 */
export function openAlerts(s: MachineState): OpenAlerts | undefined {
  const unhealthy = s.liveness.up === false ? (s.liveness.failingSince ?? s.startedAt) : undefined;
  const notReady = s.readiness.up === false ? (s.readiness.failingSince ?? s.startedAt) : undefined;
  const loop = s.budget.loop !== 'closed' ? s.loopSince : undefined;
  if (unhealthy === undefined && notReady === undefined && !s.unresolved && loop === undefined && s.heldSince === undefined && s.failedSince === undefined) return undefined;
  return {
    ...(unhealthy !== undefined ? { unhealthy } : {}),
    ...(notReady !== undefined ? { not_ready: notReady } : {}),
    ...(s.unresolved ? { unresolved: true as const } : {}),
    ...(loop !== undefined ? { crashloop: loop } : {}),
    ...(s.heldSince !== undefined ? { held: s.heldSince } : {}),
    ...(s.failedSince !== undefined ? { restart_failed: s.failedSince } : {}),
  };
}

/** Whether two states differ in what they have open (the state file is written when they do). */
export function openAlertsChanged(a: MachineState, b: MachineState): boolean {
  return a.liveness.up !== b.liveness.up || a.readiness.up !== b.readiness.up || a.unresolved !== b.unresolved || a.loopSince !== b.loopSince || a.heldSince !== b.heldSince || a.failedSince !== b.failedSince;
}

/**
 * A new watch's state with the alerts the state file kept open: each track judged down since its first
 * failure, as it was when healer stopped. The state machine then ends them as it does live (passing
 * probes send `recovered` measured from that failure; failing ones act without alerting again).
 */
export function restoreAlerts(s: MachineState, open: OpenAlerts | undefined): MachineState {
  if (!open) return s;
  const down = (since: number): Track => ({ failures: 0, successes: 0, up: false, failingSince: since });
  return {
    ...s,
    ...(open.unhealthy !== undefined ? { liveness: down(open.unhealthy) } : {}),
    ...(open.not_ready !== undefined ? { readiness: down(open.not_ready) } : {}),
    ...(open.unresolved ? { unresolved: true } : {}),
    ...(open.crashloop !== undefined ? { loopSince: open.crashloop } : {}),
    ...(open.held !== undefined ? { heldSince: open.held } : {}),
    ...(open.restart_failed !== undefined ? { failedSince: open.restart_failed } : {}),
  };
}
