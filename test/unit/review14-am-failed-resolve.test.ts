import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Review 14 (adversarial review of alerting): Alertmanager is unavailable (503) for longer than the
// channel's retries exactly while a container recovers.
// Trigger: `unhealthy` fires and is delivered; Alertmanager then answers 503 to every attempt of the
//   `recovered` resolve (a restart of Alertmanager, a rolling upgrade), so the resolve is counted
//   `failed`; then Alertmanager is back.
// What happens: the provider keeps the condition in its `open` map (it is deleted only after a
//   successful resolve), so its once-a-minute re-send keeps posting the alert WITHOUT endsAt, for ever:
//   Alertmanager shows the recovered container as unhealthy until it next fails and recovers.
// What should happen: once the container has recovered, Alertmanager is never told again that it is
//   firing; the resolve is what is re-sent (or at least the firing alert is no longer re-sent).
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = {
  host: 'box1',
  container: { id: 'b'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
} as const;
const unhealthy: Alert = { ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: '2026-11-24T04:00:00.000Z' };
const recovered: Alert = { ...base, event: 'recovered', severity: 'info', summary: 'api recovered', reason: 'probe passes again', recoveryMs: 12_000, at: '2026-11-24T04:00:30.000Z' };

type Am = { labels: Record<string, string>; endsAt?: string };

describe('review14: alertmanager, a resolve that could not be delivered', () => {
  it('does not leave the recovered container firing through the periodic re-send', async () => {
    let down = false;
    const r = await receiver(() => ({ status: down ? 503 : 200 }));
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 150);
    const ch = new Channel(am, undefined, { timeoutMs: 1000, retries: 2, queue: 10, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
    try {
      ch.push(unhealthy);
      for (let i = 0; i < 50 && ch.counters.sent < 1; i++) await sleep(20);
      expect(ch.counters.sent).toBe(1);
      down = true; // Alertmanager restarting while the container recovers
      ch.push(recovered);
      for (let i = 0; i < 100 && ch.counters.failed < 1; i++) await sleep(20);
      expect(ch.counters.failed).toBe(1);
      down = false; // Alertmanager is back
      const mark = r.got.length;
      await sleep(600); // several re-send intervals
      const told = r.got.slice(mark).flatMap((g) => (g.body as Am[]) ?? []).filter((a) => a.labels.alertname === 'HealerContainerUnhealthy');
      // Every later word to Alertmanager about this condition must say it has ended.
      expect(told.filter((a) => a.endsAt === undefined)).toEqual([]);
    } finally {
      await ch.flush(100);
      am.close?.();
      await r.close();
    }
  });
});
