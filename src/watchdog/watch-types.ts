import type { Logger } from 'pino';
import type { ProbePolicy } from '../config/policy.ts';
import type { ContainerInfo } from '../docker/types.ts';
import type { PolledKind } from '../probes/index.ts';
import type { Prober, ProbeResult } from '../probes/types.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { HistorySink } from './history.ts';
import type { MatchBudget } from './match-budget.ts';
import type { Route } from './probe-once.ts';
import type { Action, ActionKind, Cause, Context, MachineState, Role } from './machine-types.ts';

/** What a watch asks of the watchdog: the actions that need the engine, and the host-wide view. */
export interface WatchEffects {
  act(watch: ContainerWatch, kind: ActionKind, reason: string, cause: Cause): Promise<void>;
  /** A decision users should hear of (logged now; alert channels build on it). */
  notify(watch: ContainerWatch, action: Action): void;
  /**
   * A condition the state file kept open (open-alerts.ts), found still open as the watch starts: told
   * again to channels that keep conditions open, never to chat channels, which were told already.
   */
  reopen?(watch: ContainerWatch, event: 'unhealthy' | 'not_ready' | 'crashloop' | 'restart_failed', since: number): void;
  /** The dependency hold and breaker state at the moment of a decision. */
  context(watch: ContainerWatch): Context;
  /**
   * The machine state changed: persist what matters; when `failingFlipped`, the breaker and the
   * containers that depend on this one are re-evaluated (only then does their context change).
   */
  changed(watch: ContainerWatch, before: MachineState, failingFlipped: boolean): void;
}

/** Event-driven measurements (histograms); per-container totals live on the watch itself. */
export interface Observer {
  probe(kind: PolledKind, seconds: number): void;
  /** How late a probe ran against its planned time. */
  drift(seconds: number): void;
  /** First failed probe to recovered. */
  recovered(seconds: number): void;
  /** An unexpected error parked one container's watch. */
  watchError(): void;
}

export const NO_OBSERVER: Observer = { probe() {}, drift() {}, recovered() {}, watchError() {} };

/** Running totals for the metrics; they go away with the watch when the container goes. */
export interface WatchCounts {
  /** `delayed`: probes put off because the container's body matching was over its share (match-budget.ts). */
  readonly probes: Record<Role, { success: number; failure: number; error: number; delayed: number }>;
  readonly restarts: Record<Cause, number>;
  readonly restartFailures: Record<Cause, number>;
}

/** A watch's totals, all zero. */
export function newWatchCounts(): WatchCounts {
  return {
    probes: { liveness: { success: 0, failure: 0, error: 0, delayed: 0 }, readiness: { success: 0, failure: 0, error: 0, delayed: 0 } },
    restarts: { liveness: 0, exit: 0, namespace: 0, orphan: 0 },
    restartFailures: { liveness: 0, exit: 0, namespace: 0, orphan: 0 },
  };
}

/** What a watch is given: its probers, clock, logger, effects and where its probes go. */
export interface WatchDeps {
  readonly probers: Readonly<Record<PolledKind, Prober>>;
  readonly observer: Observer;
  readonly clock: Clock;
  readonly log: Logger;
  /** The logger for a container's new name (`docker rename`): its lines follow the name, as status and alerts do. */
  readonly relog?: (info: ContainerInfo) => Logger;
  readonly effects: WatchEffects;
  /** Where a probe goes now, or why it cannot or may not go there (watchdog/probe-route.ts). */
  readonly route: (watch: ContainerWatch, p: ProbePolicy, signal: AbortSignal) => Route | Promise<Route>;
  readonly dryRun: boolean;
  /** False while the engine cannot be reached: probe results then say nothing healer may act on. */
  readonly engineUp?: () => boolean;
  /** Probe results for the status page's per-minute summary. */
  readonly history?: HistorySink;
  /** healer's time for body matching, shared by every watch: a container over its share is probed less often. */
  readonly matchBudget?: MatchBudget;
}

/** A probe's last result and when it came, for the status. */
export interface LastProbe extends ProbeResult {
  readonly at: number;
}
