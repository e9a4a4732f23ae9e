import type { ProbePolicy } from '../config/policy.ts';

/** What one probe run found; `error` is a short reason users can read in logs and alerts. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly status?: number | undefined;
  readonly error?: string | undefined;
  /**
   * healer could not run the probe (the engine refused or failed the exec call): this says nothing about
   * the container, so it is reported but never counts towards a restart.
   */
  readonly inconclusive?: boolean | undefined;
  /**
   * How long matching the body took (ms), all of it on healer's event loop: the watchdog charges it to
   * the container's share of healer's time (watchdog/match-budget.ts). Absent without a `body` check.
   */
  readonly matchMs?: number | undefined;
  /**
   * The body arrived but was not matched: healer's time for matching was spent (watchdog/match-budget.ts).
   * Not a result: the probe counts as put off, and the state machine never hears of it.
   */
  readonly putOff?: boolean | undefined;
}

export interface ProbeTarget {
  readonly containerId: string;
  /** The host an empty probe host stands for; resolved by the caller from the container's networks. */
  readonly address: string;
  /**
   * A probe host that is a name, pinned to the address it was judged by (pin.ts): the probe connects
   * here and never resolves the name itself; HTTP sends the name as the Host header.
   */
  readonly connectTo?: string | undefined;
}

/**
 * A probe kind: one file, registered in index.ts. `signal` aborts at the probe's timeout or on shutdown;
 * `rearm` starts the timeout afresh (an exec probe's engine calls each get the whole of it: the timeout
 * measures the command, not an engine slow to set it up). `mayMatch` is asked just before a body match
 * (the match, not the wait for the body, is what costs healer's loop): `false` ends the probe put off.
 */
export interface Prober {
  run(policy: ProbePolicy, target: ProbeTarget, signal: AbortSignal, rearm?: () => void, mayMatch?: () => boolean): Promise<ProbeResult>;
}

/** Turns an abort into the reason users see. */
export function abortReason(signal: AbortSignal, timeoutMs: number): string {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name === 'TimeoutError') return `timed out after ${timeoutMs}ms`;
  return r instanceof Error ? r.message : 'aborted';
}
