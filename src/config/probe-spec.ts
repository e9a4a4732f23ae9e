/**
 * Probe specs as users write them in `healer.liveness` / `healer.readiness`. An empty host
 * (`http://:8080/healthz`) means "the container's own address", resolved at probe time, which is why
 * these are not plain URLs.
 */
export type ProbeSpec =
  | {
      kind: 'http';
      scheme: 'http' | 'https';
      host: string;
      port: number;
      path: string;
      /** `user:password` from the URL, percent-encoded as written; sent as Basic authentication. */
      userinfo?: string | undefined;
    }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'exec'; argv: readonly string[] }
  | { kind: 'docker' };

export type ProbeKind = ProbeSpec['kind'];

const HTTP_RE = /^(https?):\/\/(?:([^@/?#\s]*)@)?(\[[0-9a-fA-F:.]+\]|[^/:?#@\s]*)(?::(\d{1,5}))?(\/[^\s]*)?$/;
const TCP_RE = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#\s]*):(\d{1,5})$/;

/** Parses a probe spec; returns an error sentence (without the "where") on failure. */
export function parseProbeSpec(text: string): { ok: true; spec: ProbeSpec } | { ok: false; error: string } {
  const s = text.trim();
  if (s === 'docker') return { ok: true, spec: { kind: 'docker' } };
  if (s.startsWith('exec:')) {
    const argv = splitCommand(s.slice(5));
    if (argv === undefined) return { ok: false, error: `"${redactText(s)}" has an unclosed quote` };
    if (argv.length === 0) return { ok: false, error: `"${redactText(s)}" names no command (try exec:pg_isready -q)` };
    return { ok: true, spec: { kind: 'exec', argv } };
  }
  const http = HTTP_RE.exec(s);
  if (http) {
    const scheme = http[1] === 'https' ? 'https' : 'http';
    const port = http[4] === undefined ? (scheme === 'https' ? 443 : 80) : Number(http[4]);
    if (!validPort(port)) return { ok: false, error: `"${redactText(s)}" has port ${port}, outside 1-65535` };
    const spec: ProbeSpec = { kind: 'http', scheme, host: unbracket(http[3] ?? ''), port, path: http[5] ?? '/' };
    return { ok: true, spec: http[2] === undefined ? spec : { ...spec, userinfo: http[2] } };
  }
  const tcp = TCP_RE.exec(s);
  if (tcp) {
    const port = Number(tcp[2]);
    if (!validPort(port)) return { ok: false, error: `"${redactText(s)}" has port ${port}, outside 1-65535` };
    return { ok: true, spec: { kind: 'tcp', host: unbracket(tcp[1] ?? ''), port } };
  }
  return {
    ok: false,
    error: `"${redactText(s)}" is not a probe (try http://:8080/healthz, tcp://:5432, exec:pg_isready -q or docker)`,
  };
}

/**
 * The spec written back whole, secrets included. Only for code that must act on it; anything shown to
 * anyone (status, metrics, logs, alerts, label errors, `healer check`) uses redactProbeSpec.
 */
export function formatProbeSpec(spec: ProbeSpec): string {
  switch (spec.kind) {
    case 'docker':
      return 'docker';
    case 'exec':
      return `exec:${spec.argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
    case 'tcp':
      return `tcp://${bracket(spec.host)}:${spec.port}`;
    case 'http':
      return `${spec.scheme}://${spec.userinfo === undefined ? '' : `${spec.userinfo}@`}${bracket(spec.host)}:${spec.port}${spec.path}`;
  }
}

export const REDACTED = '[redacted]';

/**
 * The one form in which a probe leaves healer (SECURITY.md, "Nothing secret leaves healer unasked"):
 * labels put tokens in URL queries and userinfo (`?token=`, `user:pass@`) and passwords in exec
 * arguments (`mysqladmin -pSECRET`), so those are replaced: `http://[redacted]@:8080/health?token=[redacted]`,
 * `exec:mysqladmin [redacted]`. Scheme, host, port, path and the command name stay, enough to tell
 * probes apart.
 */
export function redactProbeSpec(spec: ProbeSpec): string {
  switch (spec.kind) {
    case 'exec':
      return `exec:${spec.argv[0] ?? ''}${spec.argv.length > 1 ? ` ${REDACTED}` : ''}`;
    case 'http':
      return `${spec.scheme}://${spec.userinfo === undefined ? '' : `${REDACTED}@`}${bracket(spec.host)}:${spec.port}${redactPathQuery(spec.path)}`;
    default:
      return formatProbeSpec(spec);
  }
}

/**
 * The same redaction for text that did not parse as a probe (a label error echoes the value): exec
 * arguments, URL userinfo, query values and fragments are replaced wherever they appear.
 */
export function redactText(text: string): string {
  const t = text.trim();
  if (t.startsWith('exec:')) {
    const words = t.slice(5).trim().split(/\s+/);
    return `exec:${words[0] ?? ''}${words.length > 1 ? ` ${REDACTED}` : ''}`;
  }
  return redactPathQuery(t.replace(/\/\/[^/?#\s]*@/g, `//${REDACTED}@`));
}

/** `/p?token=abc&x` → `/p?token=[redacted]&[redacted]`; a fragment goes entirely. */
function redactPathQuery(path: string): string {
  const hash = path.indexOf('#');
  const noHash = hash < 0 ? path : `${path.slice(0, hash)}#${REDACTED}`;
  const q = noHash.indexOf('?');
  if (q < 0) return noHash;
  const end = noHash.indexOf('#', q);
  const query = noHash.slice(q + 1, end < 0 ? undefined : end);
  const tail = end < 0 ? '' : noHash.slice(end);
  const parts = query.split('&').map((kv) => {
    if (kv === '') return kv;
    const eq = kv.indexOf('=');
    return eq < 0 ? REDACTED : `${kv.slice(0, eq)}=${REDACTED}`;
  });
  return `${noHash.slice(0, q)}?${parts.join('&')}${tail}`;
}

/** Splits a command line on blanks, honouring single and double quotes; undefined on an open quote. */
export function splitCommand(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) out.push(cur);
  return out;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
function unbracket(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}
function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
