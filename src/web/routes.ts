import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HistoryQueries, TransitionRow } from '../history/queries.ts';
import type { ContainerStatus } from '../watchdog/status.ts';
import { badgeSvg } from './badge.ts';
import { sessionCookie } from './session.ts';

/**
 * Nothing but healer's own files: no inline script or style, no outside origin, no framing. The page's
 * charts are SVG built by app.js through the DOM, which this policy allows.
 */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export interface WebContext {
  /** Bearer header or session cookie; always true without a token. */
  authorised(req: IncomingMessage): boolean;
  /** A login with the wrong token: counted towards its client's limit and everyone's (throttle.ts). */
  wrongToken(req: IncomingMessage): void;
  /** A login with the right token: its address is not shut out by other addresses' guesses. */
  rightToken(req: IncomingMessage): void;
  /**
   * Answers 429 when the client (or everyone together) is over the wrong-token limit now (true: answered).
   * Judges the request's bearer header, or with `login` a login's token (throttle.ts: the right one is
   * held by its client's own limit only; a refused wrong one is counted).
   */
  refuseIfLimited(req: IncomingMessage, res: ServerResponse, login?: LoginToken): boolean;
  readonly token: string | undefined;
  status(): { containers: readonly ContainerStatus[] } | undefined;
  readonly history: HistoryQueries | undefined;
  now(): number;
}

/** A login's token: not read yet (its body has not come), or read and right or not. */
export type LoginToken = 'unread' | { readonly right: boolean };

const cache = new Map<string, Buffer>();
function asset(file: string): Buffer {
  let b = cache.get(file);
  if (!b) cache.set(file, (b = readFileSync(new URL(`./assets/${file}`, import.meta.url))));
  return b;
}

/** The status page's routes; false when the path is none of them (the server's own routes go next). */
export async function handleWeb(req: IncomingMessage, res: ServerResponse, path: string, ctx: WebContext): Promise<boolean> {
  const a = ASSETS[path];
  if (a) {
    if (!isRead(req, res)) return true;
    res.writeHead(200, { ...SECURE, 'Content-Type': a.type, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : asset(a.file));
    return true;
  }
  if (path === '/login') {
    if (req.method !== 'POST') return redirect(res, '/');
    const text = await body(req, 4096);
    // The client went away (or was closed to make room, web/connections.ts) before its body was in: there
    // is no one to answer, and nothing went wrong in healer (no error line per closed connection).
    if (text === null) return true;
    if (text === undefined) {
      // No login form is that long: a client error, not healer's (no error line), and with a token it
      // counts as a wrong one, so an address that repeats it is stopped by the 429 like any guesser.
      if (ctx.token !== undefined) ctx.wrongToken(req);
      return tooLarge(req, res);
    }
    const given = new URLSearchParams(text).get('token') ?? '';
    if (ctx.token === undefined) return redirect(res, '/');
    // Looked at again once the body is in: logins sent in parallel all passed the look at their headers,
    // which judged their client's own limit only (the token was not known yet).
    const right = sameToken(given, ctx.token);
    if (ctx.refuseIfLimited(req, res, { right })) return true;
    if (!right) {
      ctx.wrongToken(req);
      return redirect(res, '/?login=failed');
    }
    ctx.rightToken(req);
    res.setHeader('Set-Cookie', sessionCookie(ctx.token));
    return redirect(res, '/');
  }
  if (path === '/api/history') {
    if (!isRead(req, res)) return true;
    if (!ctx.authorised(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="healer"');
      return json(res, 401, { error: 'a bearer token or a login is required (server.token_file)' });
    }
    // `history: 'off'` tells the page (and any client) that this is no unknown path: it shows states only.
    if (!ctx.history) return json(res, 404, { error: "history is off (history.path: off, or its file could not be opened: see healer's log)", history: 'off' });
    const url = new URL(req.url ?? '/', 'http://healer');
    const now = ctx.now();
    const since = parseSince(url.searchParams.get('since'), now);
    if (since === undefined) return json(res, 400, { error: 'since: a time in ms since the epoch or ISO 8601' });
    const container = url.searchParams.get('container') ?? undefined;
    // Without server.token_file the listener is open to anyone who reaches it (SECURITY.md): what
    // happened and when, never the free text of reasons, which can carry a probe target's answers.
    const shown = (rows: readonly TransitionRow[]): readonly unknown[] => (ctx.token === undefined ? rows.map(publicTransition) : rows);
    if (container !== undefined) {
      return json(res, 200, { now, container, transitions: shown(ctx.history.transitions(container, since)), series: ctx.history.series(container, since, now) });
    }
    const names = (ctx.status()?.containers ?? []).map((c) => c.name);
    return json(res, 200, { now, containers: ctx.history.summaries(names, now), transitions: shown(ctx.history.transitions(undefined, since, 200)) });
  }
  const badge = /^\/badge\/([^/]+)\.svg$/.exec(path);
  if (badge?.[1] !== undefined) {
    if (!isRead(req, res)) return true;
    let name: string;
    try {
      name = decodeURIComponent(badge[1]);
    } catch {
      return json(res, 400, { error: 'the badge name is not valid percent-encoding' });
    }
    const c = ctx.status()?.containers.find((x) => x.name === name);
    // The state is what the token-less status shows; the uptime comes from the history and needs access.
    const uptime = c && ctx.history && ctx.authorised(req) ? ctx.history.summaries([name], ctx.now())[name]?.uptime.h24 : undefined;
    res.writeHead(c ? 200 : 404, { ...SECURE, 'Content-Type': 'image/svg+xml', 'Cache-Control': 'no-cache, max-age=0' });
    res.end(req.method === 'HEAD' ? undefined : badgeSvg(name, c?.state, uptime));
    return true;
  }
  return false;
}

/** A transition as the token-less page shows it: the event, its time and its container, no free text. */
export function publicTransition(t: TransitionRow): Omit<TransitionRow, 'reason' | 'exitCode' | 'oom'> {
  return { at: t.at, container: t.container, event: t.event, recoveryMs: t.recoveryMs };
}

const SECURE = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };

function isRead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
  res.end('method not allowed\n');
  return false;
}

function redirect(res: ServerResponse, to: string): true {
  res.writeHead(303, { Location: to, 'Cache-Control': 'no-store' });
  res.end();
  return true;
}

function json(res: ServerResponse, code: number, value: unknown): true {
  res.writeHead(code, { ...SECURE, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : JSON.stringify(value));
  return true;
}

/** Milliseconds since the epoch or an ISO date; 24 hours back when absent. */
function parseSince(s: string | null, now: number): number | undefined {
  if (s === null || s === '') return now - 24 * 3_600_000;
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  return Number.isFinite(n) ? n : undefined;
}

function sameToken(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/**
 * The request body as text; undefined as soon as it passes `limit` bytes (the rest is not read); null when
 * the connection closed before the body was in (the client left, the 10 s request timeout, or the
 * connection cap closed it to make room).
 */
function body(req: IncomingMessage, limit: number): Promise<string | undefined | null> {
  return new Promise((resolve) => {
    let size = 0;
    const parts: Buffer[] = [];
    const onGone = (): void => resolve(null);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void parts.push(chunk);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      req.pause();
      resolve(undefined);
    };
    const onEnd = (): void => resolve(Buffer.concat(parts).toString('utf8'));
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onGone);
  });
}

/**
 * 413 for a body that was not read to its end: the connection is closed after the answer (the rest of
 * the body would otherwise be read as the next request), and cut if the client is still sending.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse): true {
  res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close', 'Cache-Control': 'no-store' });
  res.end('request body too large (at most 4096 bytes)\n', () => {
    if (!req.complete) req.socket.destroy();
  });
  return true;
}
