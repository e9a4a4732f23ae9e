import { tooOldHint } from './versions.ts';

/** The engine refused or failed a call; `status` is the HTTP status when the engine answered. */
export class EngineError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'EngineError';
    this.status = status;
  }
}

/** The HTTP status of a failed dockerode call, when the engine answered. */
export const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/**
 * What a socket proxy must allow for each call, in tecnativa/docker-socket-proxy's terms (the common
 * one); said when the call is refused with 403, so a missing permission is named, not guessed at.
 */
const ALLOW: Readonly<Record<string, string>> = {
  'GET /_ping': 'PING=1',
  'GET /version': 'VERSION=1',
  'GET /containers/json': 'CONTAINERS=1',
  'GET /containers/{id}/json': 'CONTAINERS=1',
  'GET /containers/{id}/logs': 'CONTAINERS=1',
  'GET /events': 'EVENTS=1',
  'POST /containers/{id}/restart': 'POST=1 and ALLOW_RESTARTS=1',
  'POST /containers/{id}/start': 'POST=1 and ALLOW_START=1 (or CONTAINERS=1)',
  'POST /containers/{id}/stop': 'POST=1 and ALLOW_STOP=1 (or ALLOW_RESTARTS=1)',
  'POST /containers/{id}/unpause': 'POST=1 and CONTAINERS=1 (Podman: a paused container healer stops)',
  'DELETE /containers/{id}': 'POST=1 and CONTAINERS=1 (Swarm tasks only)',
  'POST /containers/{id}/exec': 'POST=1, CONTAINERS=1 and EXEC=1 (exec probes only)',
};

/**
 * The most of the engine's words an EngineError keeps. The error is kept per unreadable container, shown
 * on the status page and logged at every retry: a proxy answering with a whole HTML page (or anything
 * huge) would otherwise be kept and repeated in full. An engine's own messages are far shorter.
 */
export const MAX_DETAIL = 1_000;

/** `text` cut to MAX_DETAIL characters, saying how many were cut (never half a surrogate pair). */
export function boundDetail(text: string): string {
  if (text.length <= MAX_DETAIL) return text;
  const code = text.charCodeAt(MAX_DETAIL - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? MAX_DETAIL - 1 : MAX_DETAIL;
  return `${text.slice(0, end)}… (${text.length - end} more characters cut)`;
}

/** A failed call as an EngineError that names the call, the status, the engine's words and what a proxy must allow. */
export function wrap(what: string, call: keyof typeof ALLOW, err: unknown): EngineError {
  const status = statusOf(err);
  // A proxy or a look-alike API may answer any JSON: a message that is not text is shown as JSON, never thrown on.
  const said: unknown = (err as { json?: { message?: unknown } }).json?.message ?? (err as { message?: unknown }).message;
  const full = (typeof said === 'string' ? said : (JSON.stringify(said) ?? String(said))).trim().replace(/\s+/g, ' ');
  const detail = boundDetail(full);
  const refused =
    status === 400 && tooOldHint(full) !== undefined
      ? `; ${tooOldHint(full) ?? ''}`
      : status === 403 ? `; the Engine API call ${call} was refused (a socket proxy in front of the engine must allow it: ${ALLOW[call] ?? 'see the README'})` : '';
  // A cut answer is not kept as the cause either: the whole of it would stay in memory with the error.
  return new EngineError(`${what} failed${status ? ` with HTTP ${status}` : ''}: ${detail}${refused}`, status, detail === full ? err : undefined);
}

/** How long the engine may take to answer an action beyond the container's own stop grace. */
export const ANSWER_MS = 10_000;

/** An aborted call reads as what it was: the engine did not answer in time. */
export function unanswered(err: unknown, signal: AbortSignal, ms: number): unknown {
  return signal.aborted ? new Error(`the engine did not answer within ${Math.round(ms / 1000)}s`, { cause: err }) : err;
}


/**
 * The engine refused an action because this container is gone or going: it is being removed (`--rm` as it
 * exits, `docker rm -f`, compose re-creating it: Docker says "marked for removal" or "removal of container
 * ... is already in progress", 409 on a start, 500 on a restart), or the engine names it as missing
 * (Docker: `No such container: <id>`; Podman: `no container with name or ID "<id>" found`, or 500 `no
 * container with ID <id> found in database` / `container <id> does not exist in database`), or Podman
 * answers 500 `container has already been removed` (its ErrCtrRemoved) alone, which names no container
 * (the action named one, this), or after words naming this one (`saving container <id> state: ...`). Not
 * a failed action: there is nothing left to act on. A 404 or "no such container" about anything else (its
 * network removed: `network x not found`; the owner of the namespace it shares) is a failure: the
 * container is still there, and its refused start is alerted and retried.
 */
export function containerGone(err: unknown, self: { readonly id: string; readonly name: string }): boolean {
  const status = err instanceof EngineError ? err.status : statusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if ((status === 409 || status === 500) && /marked for removal|removal of container .* in progress/i.test(message)) return true;
  // Podman's 500 with ErrCtrRemoved's text, bare (about the one container the action named) or after a
  // context naming this container (a restart raced by `podman rm -f`: `saving container <id> state: ...`).
  const removed = status === 500 ? /(?:HTTP 500: |server error - )(?:(.*): )?container has already been removed\s*$/i.exec(message) : null;
  if (removed) {
    const ids = removed[1] === undefined ? [] : [...removed[1].matchAll(/\b[0-9a-f]{12,64}\b/g)].map((m) => m[0]);
    if (removed[1] === undefined || (ids.length > 0 && ids.every((id) => self.id.startsWith(id)))) return true;
  }
  if (status !== 404 && status !== 500) return false;
  const missing =
    /no such container: ?([\w.-]+)/i.exec(message)?.[1] ??
    /no container with (?:name or )?id "([^"]+)"/i.exec(message)?.[1] ??
    // Podman's 500 for a container removed while the start waited on its lock: 5 (sqlite), 4 (boltdb).
    /(?:no container with ID|container) ([0-9a-f]{12,64}) (?:found in|does not exist in) database/i.exec(message)?.[1];
  if (missing === undefined) return false;
  return missing === self.name || missing === `/${self.name}` || (missing.length >= 12 && self.id.startsWith(missing));
}
