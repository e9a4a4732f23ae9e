import type { ProbeSpec } from './probe-spec.ts';

/** Shorter strings are left alone: replacing `1` or `json` in every log line would wreck the lines. */
const MIN_LENGTH = 6;

/**
 * The secrets of one HTTP probe as its target receives them, so they can be cut from the container's
 * own log lines that alerts carry: an app that logs the requests it gets (an access log) logs healer's
 * probe, query token and Authorization header included. These are what redactProbeSpec hides from the
 * probe's own form: query values (raw and percent-decoded, then whole `name=value` pairs), the URL's
 * userinfo (and the Basic credentials it is sent as), header values (and their credentials after a
 * scheme such as `Bearer`). Exec arguments are not included: they are not sent to the app, and words
 * like `localhost` would be cut from every line.
 */
export function probeSecrets(probe: { readonly spec: ProbeSpec; readonly headers: Readonly<Record<string, string>> } | undefined): string[] {
  if (probe === undefined) return [];
  const out: string[] = [];
  for (const value of Object.values(probe.headers)) {
    out.push(value);
    const credentials = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value)?.[1];
    if (credentials !== undefined) out.push(credentials);
  }
  const spec = probe.spec;
  if (spec.kind === 'http') {
    if (spec.userinfo !== undefined) {
      const colon = spec.userinfo.indexOf(':');
      const user = decode(colon < 0 ? spec.userinfo : spec.userinfo.slice(0, colon));
      const pass = colon < 0 ? '' : decode(spec.userinfo.slice(colon + 1));
      out.push(pass, spec.userinfo, `${user}:${pass}`, Buffer.from(`${user}:${pass}`).toString('base64'));
    }
    const q = spec.path.indexOf('?');
    const query = q < 0 ? '' : spec.path.slice(q + 1).split('#')[0] ?? '';
    const pairs = query.split('&').filter((kv) => kv !== '');
    for (const kv of pairs) {
      const value = kv.includes('=') ? kv.slice(kv.indexOf('=') + 1) : kv;
      out.push(value, decode(value.replace(/\+/g, ' ')));
    }
    out.push(...pairs);
  }
  return [...new Set(out)].filter((s) => s.length >= MIN_LENGTH);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
