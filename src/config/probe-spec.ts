/**
 * Probe specs as users write them in `healer.liveness` / `healer.readiness`. An empty host
 * (`http://:8080/healthz`) means "the container's own address", resolved at probe time, which is why
 * these are not plain URLs.
 */
export type ProbeSpec =
  | { kind: 'http'; scheme: 'http' | 'https'; host: string; port: number; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'exec'; argv: readonly string[] }
  | { kind: 'docker' };

export type ProbeKind = ProbeSpec['kind'];

const HTTP_RE = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#\s]*)(?::(\d{1,5}))?(\/[^\s]*)?$/;
const TCP_RE = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#\s]*):(\d{1,5})$/;

/** Parses a probe spec; returns an error sentence (without the "where") on failure. */
export function parseProbeSpec(text: string): { ok: true; spec: ProbeSpec } | { ok: false; error: string } {
  const s = text.trim();
  if (s === 'docker') return { ok: true, spec: { kind: 'docker' } };
  if (s.startsWith('exec:')) {
    const argv = splitCommand(s.slice(5));
    if (argv === undefined) return { ok: false, error: `"${s}" has an unclosed quote` };
    if (argv.length === 0) return { ok: false, error: `"${s}" names no command (try exec:pg_isready -q)` };
    return { ok: true, spec: { kind: 'exec', argv } };
  }
  const http = HTTP_RE.exec(s);
  if (http) {
    const scheme = http[1] === 'https' ? 'https' : 'http';
    const port = http[3] === undefined ? (scheme === 'https' ? 443 : 80) : Number(http[3]);
    if (!validPort(port)) return { ok: false, error: `"${s}" has port ${port}, outside 1-65535` };
    return { ok: true, spec: { kind: 'http', scheme, host: unbracket(http[2] ?? ''), port, path: http[4] ?? '/' } };
  }
  const tcp = TCP_RE.exec(s);
  if (tcp) {
    const port = Number(tcp[2]);
    if (!validPort(port)) return { ok: false, error: `"${s}" has port ${port}, outside 1-65535` };
    return { ok: true, spec: { kind: 'tcp', host: unbracket(tcp[1] ?? ''), port } };
  }
  return {
    ok: false,
    error: `"${s}" is not a probe (try http://:8080/healthz, tcp://:5432, exec:pg_isready -q or docker)`,
  };
}

/** The spec written back as users write it, for `healer check` and logs. */
export function formatProbeSpec(spec: ProbeSpec): string {
  switch (spec.kind) {
    case 'docker':
      return 'docker';
    case 'exec':
      return `exec:${spec.argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
    case 'tcp':
      return `tcp://${bracket(spec.host)}:${spec.port}`;
    case 'http':
      return `${spec.scheme}://${bracket(spec.host)}:${spec.port}${spec.path}`;
  }
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
