import type { Logger } from 'pino';
import type { ProbePolicy } from '../config/policy.ts';
import { redactProbeSpec } from '../config/probe-spec.ts';
import type { Prober, ProbeResult, ProbeTarget } from '../probes/types.ts';
import type { Role } from './machine-types.ts';

/** Where a probe goes, or why healer cannot or may not send it there (a configuration problem). */
export type Route = { readonly ok: true; readonly target: ProbeTarget } | { readonly ok: false; readonly error: string };

/** What one probe found, and the configuration problem that kept it from running (none when it ran). */
export interface ProbeOutcome {
  readonly result: ProbeResult;
  readonly problem: string | undefined;
}

/**
 * Runs one probe within its timeout (a pinned name is resolved first, within a timeout of its own). One
 * controller and one timer per probe (AbortSignal.any/timeout cost several times as much at thousands
 * of probes a second); `slot.ctl` lets close() abort the probe in flight. A target healer cannot
 * route, or may not reach, is reported as inconclusive: never a failure, nothing is sent. `mayMatch`:
 * the body match's gate (Prober).
 */
export async function probeOnce(
  p: ProbePolicy,
  prober: Prober,
  route: (signal: AbortSignal) => Route | Promise<Route>,
  slot: { ctl?: AbortController | undefined },
  mayMatch?: () => boolean,
): Promise<ProbeOutcome> {
  const ctl = new AbortController();
  // The timeout takes effect after the I/O already waiting is read (setImmediate runs after the poll
  // phase): a timer that fires late because healer's loop was busy (another container's body match,
  // up to ~0.4 s) must not fail a probe whose answer arrived meanwhile. healer's delay is no failure.
  let expiry: NodeJS.Immediate | undefined;
  const abort = (): void => ctl.abort(new DOMException(`timed out after ${p.timeoutMs}ms`, 'TimeoutError'));
  const expire = (): void => void (expiry = setImmediate(abort));
  let timer = setTimeout(expire, p.timeoutMs);
  slot.ctl = ctl;
  try {
    const routed = route(ctl.signal);
    const r = routed instanceof Promise ? await routed : routed;
    if (routed instanceof Promise && r.ok && !ctl.signal.aborted) {
      // A name resolved first (bounded by the same timeout): the target itself still gets the whole of it,
      // so a slow resolver is never charged to the container.
      clearTimeout(timer);
      clearImmediate(expiry);
      timer = setTimeout(expire, p.timeoutMs);
    }
    if (!r.ok) {
      const error = `cannot be probed: ${r.error}`;
      return { result: { ok: false, inconclusive: true, latencyMs: 0, error }, problem: error };
    }
    const rearm = (): void => {
      clearTimeout(timer);
      clearImmediate(expiry);
      if (!ctl.signal.aborted) timer = setTimeout(expire, p.timeoutMs);
    };
    return { result: await prober.run(p, r.target, ctl.signal, rearm, mayMatch), problem: undefined };
  } finally {
    clearTimeout(timer);
    clearImmediate(expiry);
    slot.ctl = undefined;
  }
}

/**
 * A probe's result as counted: with the engine unreachable, a failing probe may only mean the engine took
 * the container down with it, and nothing could be done about it anyway: reported, not counted, no action.
 */
export function countedResult(result: ProbeResult, engineUp: boolean | undefined): ProbeResult {
  if (engineUp !== false || result.ok) return result;
  return { ...result, inconclusive: true, error: `docker engine unreachable (${result.error ?? 'probe failed'})` };
}

/**
 * Logs a counted result: an inconclusive one once per distinct reason, not on every interval (the state
 * machine never sees it), a failure every time with its target redacted. Returns the inconclusive reason
 * to remember for the next one (undefined after a conclusive result).
 */
export function logProbe(log: Logger, role: Role, p: ProbePolicy, result: ProbeResult, lastInconclusive: string | undefined): string | undefined {
  const kind = p.spec.kind;
  if (result.inconclusive) {
    if (lastInconclusive !== result.error) log.warn({ probe: role, kind, error: result.error }, 'probe inconclusive; not counted as a failure');
    return result.error;
  }
  if (!result.ok) log.info({ probe: role, kind, target: redactProbeSpec(p.spec), status: result.status, error: result.error, latencyMs: result.latencyMs }, 'probe failed');
  return undefined;
}
