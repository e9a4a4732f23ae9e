import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import { SEVERITY, type Alert, type AlertEvent } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Eleventh adversarial review. Fails on the reviewed code.
//
// The per-channel throttle (channel.ts push/endWindow) keeps one window per (container, event), and when
// a window ends it sends one summary of what it held back, the LAST alert of that event as its sample.
// The windows of an opening event and of its resolving event end independently, in the order they
// STARTED, not in the order the condition last changed. A flapping container (the very case PRODUCT.md
// names: restart, healthy briefly, fails again) whose last change in the window was `unhealthy` gets its
// `unhealthy` summary when the unhealthy window ends and then, later, the summary of the earlier
// `recovered` alerts when theirs ends: Alertmanager is told the HealerContainerUnhealthy alert ended
// (endsAt), and nothing fires it again (no new `unhealthy` comes while it stays unhealthy, and the
// provider re-sends only alerts it has open). README: alertmanager "recovered ... resolve them with
// endsAt"; "Ends what it opened: Alertmanager alerts of a container resolve when it recovers".
// Trigger: unhealthy, recovered, unhealthy, recovered, unhealthy within alerts.throttle.window (10m).

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const at = (event: AlertEvent): Alert => ({
  event,
  severity: SEVERITY[event],
  summary: `api ${event}`,
  reason: 'test',
  host: 'box1',
  container: { id: 'a'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
  at: new Date().toISOString(),
});

describe('review11: throttle windows ending out of order for a flapping container (alertmanager)', () => {
  it('leaves HealerContainerUnhealthy firing when the last thing that happened in the window was `unhealthy`', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 60_000);
    const ch = new Channel(am, undefined, { timeoutMs: 1000, retries: 0, queue: 50, windowMs: 400, perMinute: 600 }, pino({ level: 'silent' }));
    try {
      ch.push(at('unhealthy')); // fires (its window: 400 ms)
      await sleep(50);
      ch.push(at('recovered')); // resolves (its window ends 50 ms after the unhealthy one's)
      await sleep(50);
      ch.push(at('unhealthy')); // held back
      await sleep(50);
      ch.push(at('recovered')); // held back
      await sleep(50);
      ch.push(at('unhealthy')); // held back: the container is unhealthy now, and stays so
      await sleep(700); // both windows end and send their summaries
      const last = r.got
        .flatMap((g) => g.body as { labels: Record<string, string>; endsAt?: string }[])
        .filter((a) => a.labels.alertname === 'HealerContainerUnhealthy')
        .at(-1);
      expect(last, 'what Alertmanager was told last about HealerContainerUnhealthy').toBeDefined();
      expect(last?.endsAt, 'the alert was ended although the container is unhealthy').toBeUndefined();
    } finally {
      await ch.flush(1000);
      await r.close();
    }
  });
});
