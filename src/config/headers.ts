import * as z from 'zod/mini';
import { refined } from './fields.ts';
import { isForbiddenKey } from './objects.ts';

/** RFC 9110 field-name: a token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What undici accepts in a field value (its headerCharRegex): tab, visible ASCII, space, bytes 0x80-0xff. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Names undici refuses to send, or that would make the request a different one (a body length on a
 * bodyless probe, hop-by-hop connection control). Set by a label, each made every probe fail inside
 * undici before a byte was sent, a failure counted against a healthy container.
 */
const REFUSED = new Set(['connection', 'content-length', 'expect', 'keep-alive', 'transfer-encoding', 'upgrade']);

/** Why a header name or value cannot be sent; undefined when it can. */
function refuseHeader(name: string, value: string): string | undefined {
  if (isForbiddenKey(name)) return `header name ${JSON.stringify(name)} is refused`;
  if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~, no spaces)`;
  if (REFUSED.has(name.toLowerCase())) return `header ${name} cannot be set (healer's HTTP client manages it)`;
  if (!VALUE.test(value)) return `${JSON.stringify(value)} cannot be sent as an HTTP header value (no line breaks or other control characters)`;
  return undefined;
}

/**
 * A map of extra request headers (probe `header`, channel `headers`): each name must be a token undici
 * sends, each value free of CR, LF, NUL and other controls, and one Host header at most (in any case).
 * A bad one is an error at the header's own key, so a label error names that label.
 */
export const headersField = refined(z.record(z.string(), z.string()), (v, ctx) => {
  let host = false;
  for (const [name, value] of Object.entries(v)) {
    const twice = name.toLowerCase() === 'host' && host;
    host ||= name.toLowerCase() === 'host';
    const why = refuseHeader(name, value) ?? (twice ? `header ${name} is given twice (undici refuses two Host headers)` : undefined);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why, path: [name] });
  }
  return v;
});
