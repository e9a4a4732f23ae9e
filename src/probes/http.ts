import type { Dispatcher } from 'undici';
import type { ProbePolicy } from '../config/policy.ts';
import { abortReason, type Prober, type ProbeResult, type ProbeTarget } from './types.ts';

/** Bodies are read only as far as needed to match `body`; a huge body never fills memory. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * HTTP(S) probe. Redirects are not followed (a 3xx is judged by `status`), and certificates are not
 * verified, as the kubelet does: the probe asks "does it answer", not "is this a trusted site".
 * `monotonic` times the body match (the watchdog's clock: watchdog/match-budget.ts charges it).
 */
export function httpProber(dispatcher: Dispatcher, monotonic: () => number = () => performance.now()): Prober {
  return {
    async run(policy: ProbePolicy, target: ProbeTarget, signal: AbortSignal, _rearm?: () => void, mayMatch?: () => boolean): Promise<ProbeResult> {
      const spec = policy.spec;
      if (spec.kind !== 'http') throw new Error(`http prober given a ${spec.kind} probe`);
      const host = target.connectTo ?? (spec.host === '' ? target.address : spec.host);
      const origin = `${spec.scheme}://${host.includes(':') ? `[${host}]` : host}:${spec.port}`;
      const started = performance.now();
      const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
      try {
        const okStatus = (status: number): boolean => policy.status.some(([lo, hi]) => status >= lo && status <= hi);
        const { status, body } = await exchange(dispatcher, { origin, path: spec.path, method: policy.method, headers: headersOf(policy) }, signal, (code) => okStatus(code) && policy.body !== undefined);
        if (!okStatus(status)) return { ok: false, latencyMs: elapsed(), status, error: `status ${status} not in ${formatRanges(policy.status)}` };
        if (policy.body) {
          if (mayMatch?.() === false) return { ok: false, inconclusive: true, putOff: true, latencyMs: elapsed(), status, error: "body match put off: healer's time for matching is spent" };
          // Timed: the match runs on the event loop, and the watchdog charges it to this container's share.
          const from = monotonic();
          const matched = policy.body.test(body);
          const matchMs = monotonic() - from;
          if (!matched) return { ok: false, latencyMs: elapsed(), status, error: `body does not match /${policy.body.source}/`, matchMs };
          return { ok: true, latencyMs: elapsed(), status, matchMs };
        }
        return { ok: true, latencyMs: elapsed(), status };
      } catch (err) {
        const error = signal.aborted ? abortReason(signal, policy.timeoutMs) : describe(err);
        return { ok: false, latencyMs: elapsed(), error };
      }
    },
  };
}

const HEADERS = new WeakMap<ProbePolicy, Record<string, string>>();

/** The request headers of a policy, built once; a pinned name goes as the Host header (unless a label set one). */
function headersOf(policy: ProbePolicy): Record<string, string> {
  let h = HEADERS.get(policy);
  if (!h) {
    const spec = policy.spec;
    const named = policy.pinOwn === true && spec.kind === 'http' && !Object.keys(policy.headers).some((k) => k.toLowerCase() === 'host');
    const host: Record<string, string> = named ? { host: `${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}` } : {};
    h = { 'user-agent': 'healer', ...host, ...basicAuth(policy), ...policy.headers };
    HEADERS.set(policy, h);
  }
  return h;
}

/** `http://user:pass@host/` sends Basic authentication, as curl does; an explicit Authorization header wins. */
function basicAuth(policy: ProbePolicy): Record<string, string> {
  const spec = policy.spec;
  if (spec.kind !== 'http' || spec.userinfo === undefined) return {};
  if (Object.keys(policy.headers).some((k) => k.toLowerCase() === 'authorization')) return {};
  const colon = spec.userinfo.indexOf(':');
  const user = colon < 0 ? spec.userinfo : spec.userinfo.slice(0, colon);
  const pass = colon < 0 ? '' : spec.userinfo.slice(colon + 1);
  return { authorization: `Basic ${Buffer.from(`${decode(user)}:${decode(pass)}`).toString('base64')}` };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * One request through undici's dispatcher with a minimal handler: the status, and the first 64 KiB of
 * the body when `wantBody(status)` says it will be matched (otherwise it is discarded as it arrives; past
 * 64 KiB the request is cut). No response stream and no body object per probe: at thousands of probes a
 * second, undici's `request()` allocated several times as much.
 */
function exchange(
  dispatcher: Dispatcher,
  opts: { origin: string; path: string; method: string; headers: Record<string, string> },
  signal: AbortSignal,
  wantBody: (status: number) => boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let keep = false;
    let size = 0;
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const finish = (): void => settle(() => resolve({ status, body: keep ? Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8') : '' }));
    function onAbort(): void {
      const reason = signal.reason instanceof Error ? signal.reason : new Error('aborted');
      controller?.abort(reason);
      settle(() => reject(reason));
    }
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      dispatcher.dispatch(
        { origin: opts.origin, path: opts.path, method: opts.method, headers: opts.headers },
        {
          onRequestStart(c) {
            controller = c;
          },
          onResponseStart(_c, statusCode) {
            status = statusCode;
            keep = wantBody(statusCode);
          },
          onResponseData(c, chunk) {
            size += chunk.length;
            if (keep) chunks.push(chunk);
            if (size >= MAX_BODY_BYTES) {
              // Enough: judge what arrived, and drop the rest with the connection.
              finish();
              c.abort(new Error('body limit reached'));
            }
          },
          onResponseEnd() {
            finish();
          },
          onResponseError(_c, err) {
            settle(() => reject(err));
          },
        },
      );
    } catch (err) {
      settle(() => reject(err instanceof Error ? err : new Error(String(err))));
    }
  });
}

function formatRanges(r: readonly (readonly [number, number])[]): string {
  return r.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const msg = e.cause?.message ?? e.message ?? String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
