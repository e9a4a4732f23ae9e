import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Review 14 (adversarial review of alerting): an alert storm fills the Alertmanager channel's queue.
// Trigger: many containers fail at once (a host-wide incident): the channel's bounded queue
//   (alerts.queue) fills behind the rate limit (alerts.throttle.per_minute), and the `recovered` of a
//   container whose `unhealthy` was delivered is dropped ("queue full", counted and logged).
// What happens: the provider never hears of the recovery: its open map keeps HealerContainerUnhealthy
//   and the once-a-minute re-send posts it, without endsAt, for ever (until that container fails and
//   recovers again or is removed). After the storm, Alertmanager still shows the recovered container
//   as unhealthy. (Unlike review14-am-failed-resolve, the provider's send is never called here.)
// What should happen: a dropped resolve does not leave the condition firing for ever (the channel tells
//   the provider, which ends it, or at least stops re-sending it).
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = { host: 'box1', container: { id: 'f'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' } } as const;
const other = (i: number): Alert => ({ host: 'box1', container: { id: String(i).padStart(64, '0'), name: `web-${i}`, image: 'web:1', project: undefined, service: undefined }, event: 'unhealthy', severity: 'warning', summary: `web-${i} is unhealthy`, reason: '3 failed probes', at: '2026-11-24T04:00:01.000Z' });
type Am = { labels: Record<string, string>; endsAt?: string };

describe('review14: alertmanager, a resolve dropped because the queue is full', () => {
  it('does not leave the recovered container firing through the periodic re-send', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 150);
    // One alert a minute, a queue of 2: the storm's alerts wait for tokens and the queue overflows.
    const ch = new Channel(am, undefined, { timeoutMs: 1000, retries: 1, queue: 2, windowMs: 0, perMinute: 1, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
    try {
      ch.push({ ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: '2026-11-24T04:00:00.000Z' });
      for (let i = 0; i < 50 && ch.counters.sent < 1; i++) await sleep(20);
      expect(ch.counters.sent).toBe(1);
      ch.push(other(1));
      ch.push(other(2));
      // other(1) waits for a token; other(2) and an alert of api itself fill the queue. (A full queue
      // drops an alert of the container with the most waiting (alerting/queue-room.ts): had the queue been
      // full of other containers' alerts, api's recovery would have displaced one and waited instead.)
      ch.push({ ...base, event: 'not_ready', severity: 'warning', summary: 'api is not ready', reason: 'readiness fails', at: '2026-11-24T04:00:05.000Z' });
      ch.push({ ...base, event: 'recovered', severity: 'info', summary: 'api recovered', reason: 'passes again', recoveryMs: 9000, at: '2026-11-24T04:00:09.000Z' });
      expect(ch.counters.dropped).toBe(1); // the recovery: counted and logged, as the README says
      const mark = r.got.length;
      await sleep(600); // several re-send intervals
      const told = r.got.slice(mark).flatMap((g) => (g.body as Am[]) ?? []).filter((a) => a.labels.container === 'shop-api-1');
      expect(told.filter((a) => a.endsAt === undefined)).toEqual([]);
    } finally {
      await ch.flush(50);
      am.close?.();
      await r.close();
    }
  });
});
