import { request, type Dispatcher } from 'undici';
import type { ProbePolicy } from '../config/policy.ts';
import { abortReason, type Prober, type ProbeResult, type ProbeTarget } from './types.ts';

/** Bodies are read only as far as needed to match `body`; a huge body never fills memory. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * HTTP(S) probe. Redirects are not followed (a 3xx is judged by `status`), and certificates are not
 * verified, as the kubelet does: the probe asks "does it answer", not "is this a trusted site".
 */
export function httpProber(dispatcher: Dispatcher): Prober {
  return {
    async run(policy: ProbePolicy, target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
      const spec = policy.spec;
      if (spec.kind !== 'http') throw new Error(`http prober given a ${spec.kind} probe`);
      const host = spec.host === '' ? target.address : spec.host;
      const url = `${spec.scheme}://${host.includes(':') ? `[${host}]` : host}:${spec.port}${spec.path}`;
      const started = performance.now();
      const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
      try {
        const res = await request(url, {
          method: policy.method,
          headers: { 'user-agent': 'healer', ...policy.headers },
          dispatcher,
          signal,
        });
        const status = res.statusCode;
        const okStatus = policy.status.some(([lo, hi]) => status >= lo && status <= hi);
        if (!okStatus) {
          await res.body.dump({ limit: MAX_BODY_BYTES }).catch(() => undefined);
          return { ok: false, latencyMs: elapsed(), status, error: `status ${status} not in ${formatRanges(policy.status)}` };
        }
        if (policy.body) {
          const text = await readPrefix(res.body, MAX_BODY_BYTES);
          if (!policy.body.test(text)) {
            return { ok: false, latencyMs: elapsed(), status, error: `body does not match /${policy.body.source}/` };
          }
        } else {
          await res.body.dump({ limit: MAX_BODY_BYTES }).catch(() => undefined);
        }
        return { ok: true, latencyMs: elapsed(), status };
      } catch (err) {
        const error = signal.aborted ? abortReason(signal, policy.timeoutMs) : describe(err);
        return { ok: false, latencyMs: elapsed(), error };
      }
    },
  };
}

async function readPrefix(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
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
