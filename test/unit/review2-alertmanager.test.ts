import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Regression from the second adversarial review: failed before its fix.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const unhealthy: Alert = {
  event: 'unhealthy',
  severity: 'warning',
  summary: 'api is unhealthy',
  reason: '2 failed liveness probes in a row',
  host: 'box1',
  container: { id: 'a'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
  at: '2026-11-22T18:00:00.000Z',
};

describe('review2: alertmanager, a container removed while its opening alert is still being delivered', () => {
  it('its alert is not left firing (re-sent every resend interval) after the container is gone', async () => {
    // Alertmanager answers 503 once (restarting); the channel retries the alert after its backoff.
    const r = await receiver((n) => ({ status: n === 1 ? 503 : 200 }));
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    try {
      await expect(am.send(unhealthy, AbortSignal.timeout(2000))).rejects.toThrow();
      // Meanwhile the container is removed (`docker rm -f`, `compose up -d` re-creating it): the channel
      // calls forget() at once, while the alert waits for its retry.
      am.forget?.(unhealthy.container!.id);
      // The channel's retry delivers the queued alert.
      await am.send(unhealthy, AbortSignal.timeout(2000));
      const delivered = r.got.length;
      await sleep(350);
      // What Alertmanager is told after the container is gone: the alert for it must not keep firing.
      const after = r.got.slice(delivered).flatMap((g) => g.body as { labels: Record<string, string>; endsAt?: string }[]);
      const firing = after.filter((a) => a.labels.container === 'shop-api-1' && a.endsAt === undefined);
      expect(firing).toEqual([]);
    } finally {
      am.close?.();
      await r.close();
    }
  });
});
