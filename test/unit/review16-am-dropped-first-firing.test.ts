import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Review 16 (adversarial review of am-conditions.ts lostFiring, f2741d3 / 482a76f).
// Trigger: an alert flood on the Alertmanager channel (queue full). A container turns unhealthy for the
//   first time (no earlier record of that condition: never fired, or its last resolve was settled) and
//   its `unhealthy` is the alert the full queue drops: Channel.drop calls notifier.lost(unhealthy).
// Observed: AmConditions.lostFiring only acts when a record OLDER than the alert exists ("no record means
//   nothing to correct"), so nothing is recorded: the once-a-minute re-send never fires
//   HealerContainerUnhealthy, and Alertmanager never hears of a container healer holds unhealthy (until
//   its next, separate failure).
// Expected (README, alertmanager row: "A firing alert that is not delivered is re-sent as firing"): the
//   re-send fires the condition whose firing alert was dropped, while it is still open in healer.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const api = { id: 'a1'.repeat(32), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' };
const db = { id: 'd2'.repeat(32), name: 'shop-db-1', image: 'postgres:16', project: 'shop', service: 'db' };
const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 5, 0, s)).toISOString();
const alert = (c: Alert['container'], event: Alert['event'], s: number): Alert => ({ host: 'box1', container: c, event, severity: event === 'unhealthy' ? 'warning' : 'info', summary: event, reason: 'probe failed', at: at(s) });
type Am = { labels: Record<string, string>; startsAt: string; endsAt?: string };

describe('alertmanager: a first firing alert dropped by a full queue', () => {
  it('is re-sent as firing by the re-send', async () => {
    // The first post (db's) hangs until it times out, so the queue stays full meanwhile.
    // `received` settles as that post reaches the receiver (a fixed sleep only stood for it: on a loaded
    // machine the post may not have left the queue yet, and the scenario below is then another one).
    let arrived = (): void => undefined;
    const received = new Promise<void>((ok) => (arrived = ok));
    const r = await receiver((n) => (n === 1 ? (arrived(), 'hang') : { status: 200 }));
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    const opts = { timeoutMs: 300, retries: 0, queue: 1, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 };
    const ch = new Channel(am, undefined, opts, pino({ level: 'silent' }));
    try {
      ch.push(alert(db, 'unhealthy', 0)); // in flight (hangs)
      await received;
      ch.push(alert(api, 'restarted', 1)); // waits in the queue (1 slot)
      ch.push(alert(api, 'unhealthy', 2)); // queue full: api has as many waiting as any, so this one is dropped
      expect(ch.counters.dropped, 'the scenario: the unhealthy alert was dropped').toBe(1);
      for (let i = 0; i < 100 && ch.counters.sent + ch.counters.failed < 2; i++) await sleep(20);
      await sleep(400); // several re-send intervals
      const firing = r.got
        .flatMap((g) => (g.body as Am[]) ?? [])
        .filter((a) => a.labels.container === 'shop-api-1' && a.labels.alertname === 'HealerContainerUnhealthy' && a.endsAt === undefined);
      expect(firing.length, 'api unhealthy (never resolved) was never fired to Alertmanager').toBeGreaterThan(0);
    } finally {
      await ch.flush(100);
      am.close?.();
      await r.close();
    }
  });
});
