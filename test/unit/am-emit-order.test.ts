import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// The Alertmanager provider orders events as they were emitted (queued on the channel), not as
// Alertmanager answers them (review 15): an operator's stop while the container's firing alert still
// waits in the queue wins over it, and a firing refused for good leaves no stale resolve re-sent.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = { host: 'box1', container: { id: 'c3'.repeat(32), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' } } as const;
const other = { host: 'box1', container: { id: 'c4'.repeat(32), name: 'shop-db-1', image: 'postgres:16', project: 'shop', service: 'db' } } as const;
const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 4, 0, s)).toISOString();
const unhealthy = (s: number, c: Alert['container'] = base.container): Alert => ({ host: 'box1', container: c, event: 'unhealthy', severity: 'warning', summary: 'unhealthy', reason: '3 failed probes', at: at(s) });
const recovered = (s: number): Alert => ({ ...base, event: 'recovered', severity: 'info', summary: 'recovered', reason: 'passes again', recoveryMs: 1000, at: at(s) });
type Am = { labels: Record<string, string>; startsAt: string; endsAt?: string };
const opts = { timeoutMs: 2000, retries: 0, queue: 10, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 };

describe('alertmanager: emit order, not answer order', () => {
  it('an operator stop wins over the firing alert still queued behind another', async () => {
    // `received` settles as the first post reaches the receiver: the point the test needs, which a fixed
    // sleep only stands for (on a loaded machine the 300 ms timeout may pass first, or the post not start).
    let arrived = (): void => undefined;
    const received = new Promise<void>((ok) => (arrived = ok));
    const r = await receiver((n) => (n === 1 ? (arrived(), 'hang') : { status: 200 }));
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    const ch = new Channel(am, undefined, { ...opts, timeoutMs: 300 }, pino({ level: 'silent' }));
    try {
      ch.push(unhealthy(0, other.container)); // posted first: Alertmanager hangs on it (times out)
      ch.push(unhealthy(1)); // queued behind it
      await received;
      ch.end(base.container.id); // docker stop while the firing alert waits in the queue
      for (let i = 0; i < 100 && ch.counters.sent + ch.counters.failed < 2; i++) await sleep(20);
      const mark = r.got.length;
      await sleep(400); // several re-send intervals
      const firing = r.got
        .slice(mark)
        .flatMap((g) => (g.body as Am[]) ?? [])
        .filter((a) => a.labels.container === 'shop-api-1' && a.endsAt === undefined);
      expect(firing, 'the stopped container is fired by the re-send').toEqual([]);
    } finally {
      await ch.flush(100);
      am.close?.();
      await r.close();
    }
  });

  it('a firing refused for good (4xx) after a kept resolve re-sends neither', async () => {
    let status = 200;
    const r = await receiver(() => ({ status }));
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    try {
      await am.send(unhealthy(0), AbortSignal.timeout(2000));
      status = 503;
      await expect(am.send(recovered(10), AbortSignal.timeout(2000))).rejects.toThrow(); // kept for the re-send
      status = 400;
      await expect(am.send(unhealthy(20), AbortSignal.timeout(2000))).rejects.toThrow(); // refused for good
      status = 200;
      const mark = r.got.length;
      await sleep(350);
      const told = r.got
        .slice(mark)
        .flatMap((g) => (g.body as Am[]) ?? [])
        .filter((a) => a.labels.alertname === 'HealerContainerUnhealthy');
      expect(told, 'the stale resolve (or the refused firing) is re-sent').toEqual([]);
    } finally {
      am.close?.();
      await r.close();
    }
  });

  it('an older firing alert sent after a newer one was dropped does not resolve the condition', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 60_000);
    try {
      await am.send(unhealthy(0), AbortSignal.timeout(2000));
      const [older, newer] = [unhealthy(10), unhealthy(20)];
      am.queued?.(older);
      am.queued?.(newer);
      am.lost?.(newer); // dropped from a full queue: the condition still fires
      const mark = r.got.length;
      await am.send(older, AbortSignal.timeout(2000));
      const told = r.got.slice(mark).flatMap((g) => (g.body as Am[]) ?? []);
      expect(told.map((a) => [a.labels.alertname, a.endsAt])).toEqual([['HealerContainerUnhealthy', undefined]]);
    } finally {
      am.close?.();
      await r.close();
    }
  });
});
