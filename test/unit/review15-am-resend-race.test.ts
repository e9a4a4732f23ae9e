import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';

// Review 15 (adversarial review of the Alertmanager resolve keeping, 26717cb): the periodic re-send
// races a firing post.
// Trigger: `unhealthy` delivered; its `recovered` resolve fails (Alertmanager briefly down: the
//   resolve is kept in `ending` for the re-send); the container fails again while Alertmanager is back
//   but slow to answer (under load, ~400 ms). The provider drops the kept resolve only AFTER the
//   firing post is answered, so the re-send timer firing meanwhile posts the old resolve.
// Observed: Alertmanager receives the new firing alert and THEN the old resolve (startsAt 04:00:00,
//   endsAt 04:00:30) for the same label set. A real Alertmanager replaces the firing alert with it (no
//   overlap with the new startsAt 04:01:00), so the container that is failing shows resolved, and
//   nothing fires it again until the next once-a-minute re-send (or never, if that one is lost).
// Checked by hand against this test bed's real Alertmanager 0.25: active alert, then that old resolve
//   POSTed: GET /api/v2/alerts is empty afterwards.
// Expected: once the condition fires again, no resolve of its older occurrence is posted after the
//   firing alert.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = {
  host: 'box1',
  container: { id: 'd'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
} as const;
const unhealthy1: Alert = { ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: '2026-11-24T04:00:00.000Z' };
const recovered: Alert = { ...base, event: 'recovered', severity: 'info', summary: 'api recovered', reason: 'probe passes again', recoveryMs: 12_000, at: '2026-11-24T04:00:30.000Z' };
const unhealthy2: Alert = { ...unhealthy1, reason: '3 failed probes again', at: '2026-11-24T04:01:00.000Z' };

type Am = { labels: Record<string, string>; startsAt: string; endsAt?: string };

describe('review15: alertmanager, re-send racing a firing post', () => {
  it('posts no resolve of the older occurrence after the new firing alert', async () => {
    let mode: 'ok' | 'down' | 'slow' = 'ok';
    const got: Am[] = [];
    const srv: Server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        got.push(...(JSON.parse(raw) as Am[]));
        if (mode === 'down') return void res.writeHead(503).end('down');
        setTimeout(() => res.writeHead(200).end('ok'), mode === 'slow' ? 400 : 0);
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${port}/`, headers: {} }, dispatcher, 100);
    try {
      await am.send(unhealthy1, AbortSignal.timeout(2000));
      mode = 'down';
      await expect(am.send(recovered, AbortSignal.timeout(2000))).rejects.toThrow();
      mode = 'slow';
      const mark = got.length;
      await am.send(unhealthy2, AbortSignal.timeout(2000));
      await sleep(50);
      const after = got.slice(mark).filter((a) => a.labels.alertname === 'HealerContainerUnhealthy');
      const firing = after.findIndex((a) => a.endsAt === undefined);
      expect(firing).toBeGreaterThanOrEqual(0);
      const staleResolves = after.slice(firing + 1).filter((a) => a.endsAt !== undefined);
      expect(staleResolves, 'an old resolve was posted after the condition fired again').toEqual([]);
    } finally {
      am.close?.();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
