import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'healer_session';

/**
 * The cookie's value: an HMAC of the token, not the token itself, so the cookie cannot be replayed as a
 * bearer token against another tool that shares it. It is stable across healer restarts (a logged-in page
 * stays logged in) and changes when the token does.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('healer status page session v1').digest('base64url');
}

/** Whether the request carries the session cookie for `token`, compared in constant time. */
export function hasSession(req: IncomingMessage, token: string): boolean {
  const want = Buffer.from(sessionValue(token));
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === COOKIE && v !== undefined) {
      const got = Buffer.from(v);
      if (got.length === want.length && timingSafeEqual(got, want)) return true;
    }
  }
  return false;
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), a week long. */
export function sessionCookie(token: string): string {
  return `${COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=604800`;
}
