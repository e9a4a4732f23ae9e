import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type * as z from 'zod/mini';
import { ConfigError } from './errors.ts';
import { resolveChannels, type ResolvedChannel } from './channels.ts';
import { configSchema, type Config } from './schema.ts';
import { deepFreeze, FORBIDDEN_NAMES, forbiddenKeyPaths, setPath } from './objects.ts';

export interface LoadedConfig {
  readonly config: Config;
  /** Alert channels with their URLs and secrets read. */
  readonly channels: readonly ResolvedChannel[];
  /** Every secret value (webhook URLs, HMAC keys, header values), to redact wherever text leaves healer. */
  readonly secrets: readonly string[];
  /** The bearer token /metrics and /api/status require (read from server.token_file), if any. */
  readonly serverToken: string | undefined;
  /** Where it came from, for logs and `healer check`; undefined when no file was used. */
  readonly path: string | undefined;
  /** The raw `defaults` mapping, merged under each container's labels. */
  readonly rawDefaults: Readonly<Record<string, unknown>>;
}

/**
 * Environment variables that override watchdog.yml, by config path. Everything else comes from the file.
 * DOCKER_* follow the docker CLI's own names so an existing environment just works.
 */
const ENV_PATHS: Readonly<Record<string, readonly string[]>> = {
  DOCKER_HOST: ['docker', 'host'],
  DOCKER_TLS_VERIFY: ['docker', 'tls', 'verify'],
  HEALER_DOCKER_STALL_CHECK: ['docker', 'stall_check'],
  HEALER_LABEL_PREFIX: ['discovery', 'label_prefix'],
  HEALER_DISCOVERY_WATCH: ['discovery', 'watch'],
  HEALER_DISCOVERY_PROJECT: ['discovery', 'project'],
  HEALER_DISCOVERY_SCOPE: ['discovery', 'scope'],
  HEALER_SWARM_CRASHLOOPS: ['swarm', 'crashloops'],
  HEALER_DRY_RUN: ['dry_run'],
  HEALER_LOG_LEVEL: ['log', 'level'],
  HEALER_LOG_FORMAT: ['log', 'format'],
  HEALER_MAX_CONCURRENT_RESTARTS: ['guards', 'max_concurrent_restarts'],
  HEALER_STATE_PATH: ['state', 'path'],
  HEALER_HISTORY_PATH: ['history', 'path'],
  HEALER_SERVER_LISTEN: ['server', 'listen'],
  HEALER_SERVER_TOKEN_FILE: ['server', 'token_file'],
  HEALER_SERVER_TRUSTED_PROXIES: ['server', 'trusted_proxies'],
};

/**
 * Loads watchdog.yml (if any), applies the environment, validates and freezes. Throws ConfigError naming
 * file, line and key, or the environment variable, for every problem found, not just the first.
 */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv): LoadedConfig {
  let raw: Record<string, unknown> = {};
  let doc: Document | undefined;
  const lines = new LineCounter();
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError([`${path}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`], {
        cause: err,
      });
    }
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        doc.errors.map((e) => `${path}:${e.linePos?.[0]?.line ?? '?'}: YAML syntax: ${firstLine(e.message)}`),
      );
    }
    let js: unknown;
    try {
      // Aliases resolve here: an unknown one, or too many (an alias bomb), is the file's error, not a crash.
      js = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new ConfigError([`${path}:1: YAML: ${firstLine((err as Error).message)}`], { cause: err });
    }
    if (js !== null && js !== undefined && !isMap(doc.contents)) {
      throw new ConfigError([`${path}:1: the config must be a mapping of keys (docker, discovery, defaults, ...)`]);
    }
    raw = (js ?? {}) as Record<string, unknown>;
  }

  const fromEnv = new Map<string, string>();
  for (const [name, keyPath] of Object.entries(ENV_PATHS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, keyPath, value);
    fromEnv.set(keyPath.join('.'), name);
  }
  const envProblems = applyChannelEnv(raw, env, fromEnv);
  if (env.DOCKER_CERT_PATH) {
    const dir = env.DOCKER_CERT_PATH;
    setPath(raw, ['docker', 'tls', 'ca_file'], `${dir}/ca.pem`);
    setPath(raw, ['docker', 'tls', 'cert_file'], `${dir}/cert.pem`);
    setPath(raw, ['docker', 'tls', 'key_file'], `${dir}/key.pem`);
  }

  const refusedKeys = forbiddenKeyPaths(raw);
  if (refusedKeys.length > 0) {
    throw new ConfigError(refusedKeys.map((k) => `${path ?? 'config'}:${lineOf(doc, lines, k)}: key ${formatPath(k)}: ${FORBIDDEN_NAMES} are refused as keys`));
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError([...envProblems, ...parsed.error.issues.map((issue) => describeIssue(issue, path, doc, lines, fromEnv))]);
  }
  if (envProblems.length > 0) throw new ConfigError(envProblems);
  const { channels, secrets, problems } = resolveChannels(parsed.data);
  const serverToken = readToken(parsed.data.server.token_file, problems);
  if (serverToken !== undefined) secrets.push(serverToken);
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((p) => {
        const envName = fromEnv.get(keyPathOf(p).join('.'));
        return envName !== undefined ? `environment ${envName}: ${p}` : `${path ?? 'config'}:${lineOf(doc, lines, keyPathOf(p))}: ${p}`;
      }),
    );
  }
  const rawDefaults = (raw.defaults ?? {}) as Record<string, unknown>;
  return deepFreeze({ config: parsed.data, path, rawDefaults: structuredClone(rawDefaults), channels, secrets, serverToken });
}

const CHANNEL_ENV = /^HEALER_ALERT_([A-Z0-9_]+)_(URL|SECRET)_FILE$/;

/** A channel's name as it appears in its environment variables: `ops-pager` → `OPS_PAGER`. */
const channelEnvName = (name: string): string => name.toUpperCase().replaceAll('-', '_');

/**
 * `HEALER_ALERT_<CHANNEL>_URL_FILE` and `HEALER_ALERT_<CHANNEL>_SECRET_FILE` point a channel defined in
 * watchdog.yml at a file holding its URL or secret (a Docker secret, say), in place of what the file
 * says, so watchdog.yml itself can hold no secret. A variable naming no channel is an error, not ignored.
 */
function applyChannelEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, fromEnv: Map<string, string>): string[] {
  const problems: string[] = [];
  const alerts = raw.alerts;
  const list = typeof alerts === 'object' && alerts !== null ? (alerts as Record<string, unknown>).channels : undefined;
  const channels = Array.isArray(list) ? (list as unknown[]) : [];
  // Each channel's name (undefined for a malformed entry: the schema reports it), by index.
  const names = channels.map((c) => {
    const n = typeof c === 'object' && c !== null ? (c as { name?: unknown }).name : undefined;
    return typeof n === 'string' ? n : undefined;
  });
  for (const name of Object.keys(env).sort()) {
    const m = CHANNEL_ENV.exec(name);
    const file = env[name];
    if (m === null || file === undefined || file === '') continue;
    const hits = names.flatMap((n, i) => (n !== undefined && channelEnvName(n) === m[1] ? [i] : []));
    if (hits.length > 1) {
      problems.push(`environment ${name}: matches more than one alert channel (${hits.map((i) => names[i]).join(', ')}); rename one of them`);
      continue;
    }
    const i = hits[0];
    if (i === undefined) {
      const known = names.filter((n) => n !== undefined);
      const choices = known.length > 0 ? `channels: ${known.map((n) => `${n} (${channelEnvName(n)})`).join(', ')}` : 'there are none';
      problems.push(`environment ${name}: no alert channel in watchdog.yml is called ${m[1] ?? ''} (${choices})`);
      continue;
    }
    const channel = channels[i] as Record<string, unknown>;
    const key = m[2] === 'URL' ? 'url' : 'secret';
    delete channel[key];
    channel[`${key}_file`] = file;
    fromEnv.set(['alerts', 'channels', String(i), `${key}_file`].join('.'), name);
  }
  return problems;
}

/** The server token: one line of at least 16 characters, so a bearer token is not guessable. */
function readToken(file: string | undefined, problems: string[]): string | undefined {
  if (file === undefined) return undefined;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    problems.push(`server.token_file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
  if (token.length < 16 || /\s/.test(token)) {
    problems.push(`server.token_file: ${file} must hold one token of at least 16 characters and no spaces`);
    return undefined;
  }
  return token;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  path: string | undefined,
  doc: Document | undefined,
  lines: LineCounter,
  fromEnv: ReadonlyMap<string, string>,
): string {
  const keys = issue.path.map(String);
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const target = unknown.length > 0 ? [...keys, unknown[0] ?? ''] : keys;
  const dotted = formatPath(target);
  const envName = fromEnv.get(keys.join('.'));
  if (envName !== undefined) return `environment ${envName}: ${issue.message}`;
  const where = path === undefined ? 'config' : `${path}:${lineOf(doc, lines, target)}`;
  if (unknown.length > 0) {
    return `${where}: unknown key ${unknown.map((k) => formatPath([...keys, k])).join(', ')}`;
  }
  return `${where}: ${dotted || '(top level)'}: ${issue.message}`;
}

/** `['alerts', 'channels', '0', 'url']` → `alerts.channels[0].url`, as users write it. */
function formatPath(keys: readonly string[]): string {
  return keys.map((k, i) => (/^\d+$/.test(k) ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** The line of the deepest node along keyPath that exists in the document. */
function lineOf(doc: Document | undefined, lines: LineCounter, keyPath: readonly string[]): number {
  if (!doc) return 1;
  for (let n = keyPath.length; n > 0; n--) {
    const map = n === 1 ? doc.contents : doc.getIn(keyPath.slice(0, n - 1), true);
    if (isSeq(map)) {
      const item = map.items[Number(keyPath[n - 1])] as { range?: [number, number, number] } | undefined;
      if (item?.range) return lines.linePos(item.range[0]).line;
    }
    if (isMap(map)) {
      const pair = map.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === keyPath[n - 1]);
      const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
      if (range) return lines.linePos(range[0]).line;
    }
  }
  return 1;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

/** `alerts.channels[2].url_file: ...` → ['alerts', 'channels', '2', 'url_file'], for the line lookup. */
function keyPathOf(problem: string): string[] {
  const key = problem.split(':')[0] ?? '';
  return key.split(/[.[\]]+/).filter((k) => k !== '');
}
