import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { proxyNetWarnings, type ProxyNet } from './config/proxies.ts';
import type { HistoryQueries } from './history/queries.ts';
import type { Metrics } from './metrics.ts';
import { VERSION } from './version.ts';
import { monotonic, systemClock, type Clock } from './watchdog/clock.ts';
import type { Watchdog } from './watchdog/watchdog.ts';
import { forwardedClient } from './web/forwarded.ts';
import { CONNECTIONS_CHECK_MS, limitConnections, MAX_CONNECTIONS } from './web/connections.ts';
import { handleWeb, type LoginToken, type WebContext } from './web/routes.ts';
import { hasSession } from './web/session.ts';
import { WrongTokenThrottle } from './web/throttle.ts';

export interface ServerSources {
  /** Undefined until healer has reached the engine for the first time. */
  watchdog: Watchdog | undefined;
}

export interface HttpServer {
  /** Where it listens, e.g. 127.0.0.1:9299 (the real port when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The one HTTP listener: /metrics, /healthz, /api/status. /healthz never needs the token (the image's
 * HEALTHCHECK calls it and it tells nothing an outsider can use); the other two do when one is set.
 * Nothing here carries a secret: the status data holds no URLs, headers or tokens.
 */
export async function startServer(opts: {
  listen: { host: string; port: number };
  token: string | undefined;
  /** server.trusted_proxies: peers whose X-Forwarded-For names the client the wrong-token limit counts. */
  trustedProxies?: readonly ProxyNet[];
  metrics: Metrics;
  sources: ServerSources;
  /** The status page's history; the page shows states only without it. */
  history?: HistoryQueries | undefined;
  clock?: Clock;
  log: Logger;
}): Promise<HttpServer> {
  const { metrics, sources, log, token } = opts;
  const expected = token === undefined ? undefined : digest(token);

  // Monotonic: on the wall clock a step back would lock an address out for the step.
  const throttle = new WrongTokenThrottle(() => monotonic(opts.clock ?? systemClock));
  // The socket's peer, or behind a trusted reverse proxy the client it forwards for (web/forwarded.ts).
  const client = forwardedClient(opts.trustedProxies ?? []);
  const session = (req: IncomingMessage): boolean => token !== undefined && hasSession(req, token);
  const rightBearer = (req: IncomingMessage): boolean => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return expected !== undefined && m?.[1] !== undefined && timingSafeEqual(digest(m[1]), expected);
  };
  const authorised = (req: IncomingMessage): boolean => {
    if (expected === undefined) return true;
    if (session(req)) {
      throttle.right(client(req));
      return true;
    }
    const ok = rightBearer(req);
    if (ok) throttle.right(client(req));
    else if (req.headers.authorization !== undefined) throttle.wrong(client(req));
    return ok;
  };

  // A valid session cookie passes the limit: it is an HMAC of the token (256 bits, not guessable), so
  // serving it tells a guesser nothing, and an operator logged in behind the same reverse proxy (one
  // address for all) as someone typing wrong tokens keeps the page. The right token (a bearer header, or a
  // login's once its body is read) passes the limit of everyone together (not its client's own): the cap,
  // kept only in memory, would otherwise shut Prometheus and the operator's login out after a healer
  // restart for as long as guessers elsewhere keep it spent.
  const refuseIfLimited = (req: IncomingMessage, res: ServerResponse, login?: LoginToken): boolean => {
    if (expected === undefined || session(req)) return false;
    // A login whose body is not read yet is judged by its client's own limit only: reading at most 4 KiB
    // and one hash more is what a right bearer token costs, and an address over its limit is refused
    // before its body is read. The cap is judged again once the token is known (routes.ts).
    const right = login === 'unread' || (login === undefined ? rightBearer(req) : login.right);
    const wait = throttle.retryAfterMs(client(req), right);
    if (wait <= 0) return false;
    // A refused wrong token (a bearer header or a login) still counts towards its client's limit: while
    // everyone's cap is spent a client under its own could otherwise go on guessing at any rate (429 for
    // a wrong one, 200 or 303 for the right one), not 10 a minute.
    if (!right && (login !== undefined || req.headers.authorization !== undefined)) throttle.wrong(client(req));
    res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
    send(res, 429, 'text/plain', 'too many wrong tokens (from this address, or from everyone); try again later\n');
    return true;
  };

  const web: WebContext = {
    authorised,
    wrongToken: (req) => throttle.wrong(client(req)),
    rightToken: (req) => throttle.right(client(req)),
    refuseIfLimited,
    token,
    status: () => sources.watchdog?.status(),
    history: opts.history,
    now: () => (opts.clock ?? Date).now(),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    // Too many wrong tokens from this address: nothing but /healthz until its window ends, the right
    // token included (a 200 for it would tell a guesser when to stop).
    if (path !== '/healthz' && refuseIfLimited(req, res, path === '/login' && req.method === 'POST' ? 'unread' : undefined)) return;
    if (await handleWeb(req, res, path ?? '/', web)) return;
    const route = ROUTES[path ?? ''];
    if (!route) return send(res, 404, 'text/plain', `not found; try ${Object.keys(ROUTES).join(', ')}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    if (route !== 'healthz' && !authorised(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="healer"');
      return send(res, 401, 'text/plain', 'a bearer token is required (server.token_file)\n');
    }
    if (route === 'metrics') return send(res, 200, metrics.contentType, await metrics.text());
    if (route === 'healthz') {
      const wd = sources.watchdog;
      const health = wd ? wd.health() : { ok: false as const, reason: 'not connected to the docker engine yet' };
      return send(res, health.ok ? 200 : 503, 'application/json', `${JSON.stringify(health.ok ? { status: 'ok' } : { status: 'unhealthy', reason: health.reason })}\n`);
    }
    const status = sources.watchdog?.status() ?? { engine: undefined, engineReachable: false, paused: false, containers: [], problems: [], unreadable: [] };
    const body = expected === undefined ? publicStatus(status) : { version: VERSION, ...status };
    return send(res, 200, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
  };

  const server: Server = createServer({ connectionsCheckingInterval: CONNECTIONS_CHECK_MS }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: (err as Error).message, url: req.url }, 'http request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  // Bounds for slow or idle clients (README "Metrics and HTTP"): headers within 5 s and the whole request
  // within 10 s of its start (checked every second), idle keep-alive closed after 5 s, no connection
  // silent for 30 s (a client that does not read its answer), and at most MAX_CONNECTIONS open at once.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = 30_000;
  limitConnections(server, MAX_CONNECTIONS, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`server.listen ${opts.listen.host}:${opts.listen.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`, { cause: err });
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  log.info({ address, token: token !== undefined, trustedProxies: (opts.trustedProxies ?? []).length }, 'http listener up: / /metrics /healthz /api/status /api/history /badge/<name>.svg');
  for (const warning of proxyNetWarnings(opts.trustedProxies ?? [])) log.warn(warning);
  if (token === undefined && !isLoopback(bound.address)) {
    log.warn(
      { address },
      'the http listener is reachable beyond this host without a token: /metrics is open and /api/status shows names and states only; set server.token_file, or server.listen to 127.0.0.1:<port> (SECURITY.md)',
    );
  }
  return {
    address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const ROUTES: Readonly<Record<string, 'metrics' | 'healthz' | 'status'>> = {
  '/metrics': 'metrics',
  '/healthz': 'healthz',
  '/api/status': 'status',
};

type StatusData = NonNullable<ReturnType<Watchdog['status']>>;

/**
 * /api/status without a token (SECURITY.md: anyone who reaches the listener is untrusted): which
 * containers and in which state, nothing more. No probe targets, errors, exit codes or label errors,
 * which say how things are wired; `problems` names the containers with label errors.
 */
export function publicStatus(s: StatusData): Record<string, unknown> {
  return {
    engineReachable: s.engineReachable,
    paused: s.paused,
    containers: s.containers.map((c) => ({ name: c.name, project: c.project, service: c.service, state: c.state })),
    problems: s.problems.map((p) => ({ name: p.name })),
    // Containers the engine failed to inspect (healer looks again): their short ids and since when (the
    // page shows them as not watched), not the engine's error.
    unreadable: s.unreadable.map((u) => ({ id: u.id.slice(0, 12), since: u.since })),
    detail: 'names and states only: set server.token_file for the full status',
  };
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
}

/** Fixed-length digests, so comparing tokens of different lengths takes the same time. */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
