import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// An operator's stop ends a container's open Alertmanager alerts (Channel.end), unlike a removal
// (forget) it does not mark the container gone: started again and failing, it fires as usual.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = { host: 'box1', container: { id: 'e'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' } } as const;
const unhealthy = (s: number): Alert => ({ ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: new Date(Date.UTC(2026, 10, 24, 4, 0, s)).toISOString() });
type Am = { labels: Record<string, string>; startsAt: string; endsAt?: string };

describe('alertmanager: an operator stop ends the open alert', () => {
  it('resolves it, stops re-sending it, and a later failure fires again', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    const ch = new Channel(am, undefined, { timeoutMs: 1000, retries: 1, queue: 10, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
    const told = (from: number) => r.got.slice(from).flatMap((g) => (g.body as Am[]) ?? []).filter((a) => a.labels.alertname === 'HealerContainerUnhealthy');
    try {
      ch.push(unhealthy(0));
      for (let i = 0; i < 50 && ch.counters.sent < 1; i++) await sleep(20);
      ch.end(base.container.id);
      for (let i = 0; i < 50 && told(0).every((a) => a.endsAt === undefined); i++) await sleep(20);
      const mark = r.got.length;
      await sleep(350); // several re-send intervals: nothing fires it again
      expect(told(mark).filter((a) => a.endsAt === undefined)).toEqual([]);
      expect(told(0).some((a) => a.endsAt !== undefined)).toBe(true);

      ch.push(unhealthy(30)); // started again by the operator, failing again
      for (let i = 0; i < 50 && ch.counters.sent < 2; i++) await sleep(20);
      const last = told(0).at(-1);
      expect({ endsAt: last?.endsAt, startsAt: last?.startsAt }).toEqual({ endsAt: undefined, startsAt: unhealthy(30).at });
    } finally {
      await ch.flush(100);
      await r.close();
    }
  });
});
