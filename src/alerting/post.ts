import type { Dispatcher } from 'undici';
import { request } from '../undici.ts';
import { DeliveryError } from './types.ts';

/**
 * POSTs a JSON body and classifies the outcome: 2xx delivered; network errors, timeouts, 5xx and 429
 * retryable (429 and 503 with their Retry-After); any other status final. The URL never appears in
 * errors, since webhook URLs are secrets.
 */
export async function postJson(
  url: string,
  body: string,
  opts: { dispatcher: Dispatcher; signal: AbortSignal; headers?: Readonly<Record<string, string>> },
): Promise<void> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'healer', ...opts.headers },
      dispatcher: opts.dispatcher,
      signal: opts.signal,
    });
  } catch (err) {
    const why = opts.signal.aborted ? 'timed out' : ((err as { code?: string }).code ?? (err as Error).message);
    throw new DeliveryError(`request failed: ${why}`, { retryable: true, cause: err });
  }
  const status = res.statusCode;
  const text = await res.body.text().catch(() => '');
  if (status >= 200 && status < 300) return;
  const detail = text.replace(/\s+/g, ' ').slice(0, 200);
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  throw new DeliveryError(`receiver answered HTTP ${status}${detail ? `: ${detail}` : ''}`, {
    retryable: status >= 500 || status === 429 || status === 408,
    status,
    retryAfterMs,
  });
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now; undefined when absent or bad. */
export function parseRetryAfter(v: string | string[] | undefined, now = Date.now()): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s.trim() === '') return undefined;
  if (/^\d+$/.test(s.trim())) return Number(s.trim()) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
