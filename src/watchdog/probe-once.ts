import type { ProbePolicy } from '../config/policy.ts';
import type { Prober, ProbeResult, ProbeTarget } from '../probes/types.ts';

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
 * route, or may not reach, is reported as inconclusive: never a failure, nothing is sent.
 */
export async function probeOnce(
  p: ProbePolicy,
  prober: Prober,
  route: (signal: AbortSignal) => Route | Promise<Route>,
  slot: { ctl?: AbortController | undefined },
): Promise<ProbeOutcome> {
  const ctl = new AbortController();
  const expire = (): void => ctl.abort(new DOMException(`timed out after ${p.timeoutMs}ms`, 'TimeoutError'));
  let timer = setTimeout(expire, p.timeoutMs);
  slot.ctl = ctl;
  try {
    const routed = route(ctl.signal);
    const r = routed instanceof Promise ? await routed : routed;
    if (routed instanceof Promise && r.ok && !ctl.signal.aborted) {
      // A name resolved first (bounded by the same timeout): the target itself still gets the whole of it,
      // so a slow resolver is never charged to the container.
      clearTimeout(timer);
      timer = setTimeout(expire, p.timeoutMs);
    }
    if (!r.ok) {
      const error = `cannot be probed: ${r.error}`;
      return { result: { ok: false, inconclusive: true, latencyMs: 0, error }, problem: error };
    }
    return { result: await prober.run(p, r.target, ctl.signal), problem: undefined };
  } finally {
    clearTimeout(timer);
    slot.ctl = undefined;
  }
}
