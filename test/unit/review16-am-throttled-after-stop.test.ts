import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Review 16 (adversarial review of the deferred operator-stop end, 81ccac5, with am-conditions.ts f2741d3).
// Trigger: a flapping container on an Alertmanager channel with the throttle window (alerts.window, 10m by
//   default): unhealthy (delivered), recovered (delivered), unhealthy again (held back by the window). The
//   operator then runs `docker stop` on it; 5 s later healer ends its open alerts (Alerter.containerStopped
//   -> Channel.end -> Notifier.end). The window ends later and its summary of the held `unhealthy` is queued.
// Observed: the summary is a new Alert object, queued (and stamped) after the stop's end, so
//   AmConditions.superseded does not see it as older than the stop: it fires HealerContainerUnhealthy for the
//   stopped container and the once-a-minute re-send keeps it firing for as long as the container stays stopped
//   (README: "An operator's stop of a container ends its open alerts"; the removal path has the `gone` set
//   for the same case, the stop path has nothing).
// Expected: after an operator's stop has ended the container's alerts, an opening alert emitted before that
//   stop (here the throttle's summary of it) does not fire the condition again; the re-send carries no firing
//   HealerContainerUnhealthy for the stopped container.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const api = { id: 'a1'.repeat(32), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' };
const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 5, 0, s)).toISOString();
const alert = (event: Alert['event'], s: number): Alert => ({ host: 'box1', container: api, event, severity: event === 'unhealthy' ? 'warning' : 'info', summary: event, reason: 'probe', at: at(s) });
type Am = { labels: Record<string, string>; startsAt: string; endsAt?: string };

describe('alertmanager: a throttled unhealthy summarised after an operator stop ended the alerts', () => {
  it('does not fire the stopped container again', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    const opts = { timeoutMs: 2000, retries: 0, queue: 10, windowMs: 400, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 };
    const ch = new Channel(am, undefined, opts, pino({ level: 'silent' }));
    try {
      ch.push(alert('unhealthy', 0)); // delivered, opens the window
      ch.push(alert('recovered', 1)); // delivered
      ch.push(alert('unhealthy', 2)); // held back by the window
      expect(ch.counters.suppressed, 'the scenario: one unhealthy held back').toBe(1);
      for (let i = 0; i < 100 && ch.counters.sent < 2; i++) await sleep(10);
      ch.end(api.id); // the operator's stop, 5 s on (stop-end.ts)
      await sleep(600); // the window ends: its summary goes out
      const mark = r.got.length;
      await sleep(400); // several re-send intervals
      const firing = r.got
        .slice(mark)
        .flatMap((g) => (g.body as Am[]) ?? [])
        .filter((a) => a.labels.container === 'shop-api-1' && a.labels.alertname === 'HealerContainerUnhealthy' && a.endsAt === undefined);
      expect(firing, 'the operator-stopped container is kept firing by the re-send').toEqual([]);
    } finally {
      await ch.flush(100);
      am.close?.();
      await r.close();
    }
  });
  it('fires a new failure after the stop, even when the throttle holds it back', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    const opts = { timeoutMs: 2000, retries: 0, queue: 10, windowMs: 400, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 };
    const ch = new Channel(am, undefined, opts, pino({ level: 'silent' }));
    try {
      ch.push(alert('unhealthy', 0)); // delivered, opens the window
      ch.push(alert('recovered', 1)); // delivered
      for (let i = 0; i < 100 && ch.counters.sent < 2; i++) await sleep(10);
      ch.end(api.id); // the operator's stop
      ch.push(alert('unhealthy', 30)); // started again and failing again: held back by the window still open
      expect(ch.counters.suppressed, 'the scenario: the new unhealthy held back').toBe(1);
      await sleep(600); // the window ends: its summary goes out
      const mark = r.got.length;
      await sleep(400); // several re-send intervals
      const firing = r.got
        .slice(mark)
        .flatMap((g) => (g.body as Am[]) ?? [])
        .filter((a) => a.labels.container === 'shop-api-1' && a.labels.alertname === 'HealerContainerUnhealthy' && a.endsAt === undefined);
      expect(firing.length, 'the failure after the stop is kept firing by the re-send').toBeGreaterThan(0);
    } finally {
      await ch.flush(100);
      am.close?.();
      await r.close();
    }
  });
});
