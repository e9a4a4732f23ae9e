import { createHmac } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { postJson } from '../post.ts';
import type { Alert, Notifier } from '../types.ts';

/** The generic webhook body: the Alert itself under a schema version. Documented in the README. */
export function webhookPayload(a: Alert): object {
  return { version: 1, source: 'healer', alert: a };
}

/**
 * Signs `<timestamp>.<body>` with HMAC-SHA256, so a receiver can reject replays as well as forgeries:
 * X-Healer-Timestamp: unix seconds; X-Healer-Signature: sha256=<hex>.
 */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function webhook(
  channel: { name: string; url: string; secret?: string | undefined; headers: Record<string, string> },
  dispatcher: Dispatcher,
  now: () => number = Date.now,
): Notifier {
  return {
    name: channel.name,
    send: (a, signal) => {
      const body = JSON.stringify(webhookPayload(a));
      const headers: Record<string, string> = { ...channel.headers };
      if (channel.secret !== undefined) {
        const ts = Math.floor(now() / 1000);
        headers['x-healer-timestamp'] = String(ts);
        headers['x-healer-signature'] = sign(channel.secret, ts, body);
      }
      return postJson(channel.url, body, { dispatcher, signal, headers });
    },
  };
}
