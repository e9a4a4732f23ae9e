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
  if (!VALUE.test(value)) return `header ${name}: its value ${unsendable(value)}, which cannot be sent in an HTTP header (no line breaks or other control characters)`;
  return undefined;
}

/** Names of the controls a value most often carries by accident (a CRLF .env file, a YAML block scalar). */
const NAMED: Readonly<Record<string, string>> = { '\r': 'a carriage return', '\n': 'a line feed', '\0': 'a NUL' };

/**
 * What is wrong with a value, without the value: header values are secrets (tokens), and this text
 * goes to the log, `healer check`, stderr and /api/status problems. Names the first bad character
 * (its code point) and its position, enough to find it in the .env or watchdog.yml.
 */
function unsendable(value: string): string {
  const at = [...value].findIndex((c) => !VALUE.test(c));
  const c = [...value][at] ?? '';
  const point = c.codePointAt(0) ?? 0;
  const what = NAMED[c] ?? (point > 0xff ? 'a character beyond U+00FF' : 'a control character');
  const code = `U+${point.toString(16).toUpperCase().padStart(4, '0')}`;
  return `contains ${what} (${code}) at position ${at + 1} of ${[...value].length}`;
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
