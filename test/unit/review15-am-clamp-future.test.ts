import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { startAlertmanager } from '../helpers/alertmanager.ts';

// Review 15 (adversarial review of the endsAt clamp, 26717cb / review14-am-clock-step), against a real
// Alertmanager (0.25).
// Trigger: the host's wall clock runs 4 minutes ahead when a container goes unhealthy
//   (HealerContainerUnhealthy fires with startsAt = now + 4 min: under Alertmanager's resolve_timeout
//   of 5 min, so it is taken); NTP steps the clock back; the container recovers just after.
// Observed: the resolve's endsAt is clamped to the firing startsAt (notBefore), i.e. 4 minutes in the
//   future: Alertmanager takes it (no more 400) but keeps the alert ACTIVE until then: the recovered
//   container shows firing (and notifies) for as long as the clock was ahead. (Ahead by more than
//   resolve_timeout, Alertmanager refuses the FIRING alert itself with 400 "start time must be before
//   end time", not retried: checked by hand; that part predates this change.)
// Expected: the recovered container is resolved in Alertmanager now (e.g. the resolve also moves
//   startsAt back, as Alertmanager identifies the alert by its labels, not by startsAt).
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = { host: 'box1', container: { id: 'f1'.repeat(32), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' } } as const;

describe('review15: alertmanager, resolve after the clock ran 4 minutes ahead', () => {
  it('the recovered container is resolved now in a real Alertmanager', { timeout: 30_000 }, async () => {
    const am = await startAlertmanager();
    const provider = alertmanager({ name: 'am', url: am.url, headers: {} }, dispatcher, 60_000);
    const ch = new Channel(provider, undefined, { timeoutMs: 2000, retries: 1, queue: 10, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
    try {
      const ahead = Date.now() + 4 * 60_000;
      ch.push({ ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: new Date(ahead).toISOString() } satisfies Alert);
      const mine = async () => (await am.alerts()).find((a) => a.labels.alertname === 'HealerContainerUnhealthy' && a.labels.container === 'shop-api-1');
      for (let i = 0; i < 100 && !(await mine()); i++) await sleep(50);
      expect((await mine())?.status.state).toBe('active');
      // The clock is stepped back to the real time; the container recovers now.
      ch.push({ ...base, event: 'recovered', severity: 'info', summary: 'api recovered', reason: 'passes again', recoveryMs: 10_000, at: new Date().toISOString() } satisfies Alert);
      for (let i = 0; i < 100 && ch.counters.sent + ch.counters.failed < 2; i++) await sleep(20);
      await sleep(300);
      const a = await mine();
      expect(ch.counters.failed).toBe(0);
      expect({ state: a?.status.state ?? 'gone', endsAtInFuture: a !== undefined && Date.parse(a.endsAt) > Date.now() }, 'still firing after the recovery').toEqual({ state: a === undefined ? 'gone' : 'resolved', endsAtInFuture: false });
    } finally {
      await ch.flush(100);
      provider.close?.();
      await am.stop();
    }
  });
});
