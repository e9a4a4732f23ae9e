import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { startAlertmanager } from '../helpers/alertmanager.ts';

// Review 14 (adversarial review of the Alertmanager contract), against a real Alertmanager (0.25).
// Trigger: a container goes unhealthy (HealerContainerUnhealthy fires with startsAt = the wall clock
//   then); the host's wall clock is stepped back (NTP correcting a clock that ran ahead, by a minute
//   here); the container recovers.
// What happens: the resolve repeats the firing alert's startsAt and sets endsAt to the recovery's time,
//   which is now before startsAt. Alertmanager validates every alert of a POST and answers 400 "start
//   time must be before end time" for the batch; a 4xx is not retried, so the resolve is lost, and the
//   provider keeps the alert open and re-sends it: Alertmanager shows the recovered container firing.
// What should happen: the container is resolved in Alertmanager (endsAt never before startsAt, e.g.
//   clamped to it), whatever the wall clock did between fire and resolve.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = { host: 'box1', container: { id: 'd'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' } } as const;

describe('review14: alertmanager, a wall-clock step back between fire and resolve', () => {
  it('the recovered container is resolved in a real Alertmanager', { timeout: 30_000 }, async () => {
    const am = await startAlertmanager();
    const provider = alertmanager({ name: 'am', url: am.url, headers: {} }, dispatcher, 60_000);
    const ch = new Channel(provider, undefined, { timeoutMs: 2000, retries: 1, queue: 10, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
    try {
      const firedAt = Date.now();
      ch.push({ ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: new Date(firedAt).toISOString() } satisfies Alert);
      const mine = async () => (await am.alerts()).find((a) => a.labels.alertname === 'HealerContainerUnhealthy' && a.labels.container === 'shop-api-1');
      for (let i = 0; i < 100 && !(await mine()); i++) await sleep(50);
      expect((await mine())?.status.state).toBe('active');
      // The clock was 60 s ahead and is stepped back; 10 s later the container recovers.
      const recoveredAt = firedAt - 60_000 + 10_000;
      ch.push({ ...base, event: 'recovered', severity: 'info', summary: 'api recovered', reason: 'passes again', recoveryMs: 10_000, at: new Date(recoveredAt).toISOString() } satisfies Alert);
      for (let i = 0; i < 100 && ch.counters.sent + ch.counters.failed < 2; i++) await sleep(20);
      await sleep(300);
      const a = await mine();
      expect({ failed: ch.counters.failed, resolved: a === undefined || Date.parse(a.endsAt) <= Date.now() }).toEqual({ failed: 0, resolved: true });
    } finally {
      await ch.flush(100);
      provider.close?.();
      await am.stop();
    }
  });
});
