import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Review 15 (adversarial review of the Alertmanager resolve keeping, 26717cb): a resolve kept for re-send
// outlives the condition firing again.
// Trigger: `unhealthy` delivered; Alertmanager then down (503) past the channel's retries while the
//   container recovers (`recovered` fails for good: its resolve is kept in `ending`) AND while it fails
//   again (`unhealthy` #2 fails for good too; the provider only drops the kept resolve after a
//   successful firing post, and `lost` does nothing for an opening event). Alertmanager comes back.
// Observed: every re-send interval posts the OLD resolve (endsAt = the recovery's time) for the
//   container that is unhealthy right now, and never the firing alert: Alertmanager shows the failing
//   container resolved, for as long as healer runs or until it next recovers.
// Expected: what healer knows last is that the condition fires again: the re-send never resolves it
//   (ideally it fires it; at the least the stale resolve is no longer sent).
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = {
  host: 'box1',
  container: { id: 'c'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
} as const;
const unhealthy1: Alert = { ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: '2026-11-24T04:00:00.000Z' };
const recovered: Alert = { ...base, event: 'recovered', severity: 'info', summary: 'api recovered', reason: 'probe passes again', recoveryMs: 12_000, at: '2026-11-24T04:00:30.000Z' };
const unhealthy2: Alert = { ...unhealthy1, reason: '3 failed probes again', at: '2026-11-24T04:01:00.000Z' };

type Am = { labels: Record<string, string>; endsAt?: string };

describe('review15: alertmanager, a kept resolve after the condition fired again', () => {
  it('never re-sends a resolve for a condition that fired again since', async () => {
    let down = false;
    const r = await receiver(() => ({ status: down ? 503 : 200 }));
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 150);
    const ch = new Channel(am, undefined, { timeoutMs: 1000, retries: 1, queue: 10, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
    try {
      ch.push(unhealthy1);
      for (let i = 0; i < 50 && ch.counters.sent < 1; i++) await sleep(20);
      expect(ch.counters.sent).toBe(1);
      down = true;
      ch.push(recovered);
      ch.push(unhealthy2);
      for (let i = 0; i < 100 && ch.counters.failed < 2; i++) await sleep(20);
      expect(ch.counters.failed).toBe(2);
      down = false; // Alertmanager is back; the container is still unhealthy
      const mark = r.got.length;
      await sleep(700); // several re-send intervals
      const told = r.got.slice(mark).flatMap((g) => (g.body as Am[] | undefined) ?? []).filter((a) => a.labels.alertname === 'HealerContainerUnhealthy');
      const resolves = told.filter((a) => a.endsAt !== undefined && Date.parse(a.endsAt) <= Date.parse(unhealthy2.at));
      expect(resolves, 'a resolve of the condition that is firing again was sent').toEqual([]);
    } finally {
      await ch.flush(100);
      am.close?.();
      await r.close();
    }
  });
});
