import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';

// Review 15 (adversarial review of the operator-stop ending, 6c4c56d: Notifier.end).
// Trigger: a container goes unhealthy; its `unhealthy` is in the Alertmanager channel (being posted,
//   Alertmanager slow to answer, or queued behind other alerts); the operator runs `docker stop` on
//   it meanwhile (Alerter.containerStopped → Channel.end → Notifier.end).
// Observed: end() ends only what is already in `open`; the in-flight `unhealthy` lands in `open` when
//   its answer comes, and the re-send fires HealerContainerUnhealthy for the stopped container every
//   interval, for as long as it stays stopped (forget() guards exactly this case with its `gone` set;
//   end() has nothing alike).
// Expected: after an operator's stop, Alertmanager is not told again that the container is firing
//   (until an alert about it fires anew after the stop).
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const id = 'a1'.repeat(32);
const unhealthy: Alert = {
  host: 'box1',
  container: { id, name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
  event: 'unhealthy',
  severity: 'warning',
  summary: 'api is unhealthy',
  reason: '3 failed probes',
  at: '2026-11-24T04:00:00.000Z',
};

type Am = { labels: Record<string, string>; endsAt?: string };

describe('review15: alertmanager, operator stop while the firing alert is in flight', () => {
  it('the stopped container is not fired by the re-send', async () => {
    const got: Am[][] = [];
    let first = true;
    const srv: Server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        got.push(JSON.parse(raw) as Am[]);
        const delay = first ? 300 : 0;
        first = false;
        setTimeout(() => res.writeHead(200).end('ok'), delay);
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${port}/`, headers: {} }, dispatcher, 150);
    const ch = new Channel(am, undefined, { timeoutMs: 2000, retries: 1, queue: 10, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
    try {
      ch.push(unhealthy);
      await sleep(50); // posted, not answered yet
      ch.end(id); // docker stop by the operator
      for (let i = 0; i < 100 && ch.counters.sent < 1; i++) await sleep(20);
      expect(ch.counters.sent).toBe(1);
      const mark = got.length;
      await sleep(600); // several re-send intervals
      const firing = got
        .slice(mark)
        .flat()
        .filter((a) => a.labels.alertname === 'HealerContainerUnhealthy' && a.endsAt === undefined);
      expect(firing, 'the stopped container is fired again by the re-send').toEqual([]);
    } finally {
      await ch.flush(100);
      am.close?.();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
