import type { PolledKind } from '../probes/index.ts';
import type { ContainerWatch } from './container-watch.ts';
import type { Action, ActionKind, Cause, Context, MachineState, Role } from './machine-types.ts';

/** What a watch asks of the watchdog: the actions that need the engine, and the host-wide view. */
export interface WatchEffects {
  act(watch: ContainerWatch, kind: ActionKind, reason: string, cause: Cause): Promise<void>;
  /** A decision users should hear of (logged now; alert channels build on it). */
  notify(watch: ContainerWatch, action: Action): void;
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
  readonly probes: Record<Role, { success: number; failure: number; error: number }>;
  readonly restarts: Record<Cause, number>;
  readonly restartFailures: Record<Cause, number>;
}
