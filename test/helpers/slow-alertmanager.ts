import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { Agent } from 'undici';
import { Channel } from '../../src/alerting/channel.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';

/** An alert as Alertmanager's v2 API receives it (what the re-send checks look at). */
export type Am = { labels: Record<string, string>; endsAt?: string };

/** `unhealthy` of the container `id` of a compose service shop/api, as the in-flight tests fire it. */
export function unhealthyOf(id: string): Alert {
  return {
    host: 'box1',
    container: { id, name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
    event: 'unhealthy',
    severity: 'warning',
    summary: 'api is unhealthy',
    reason: '3 failed probes',
    at: '2026-11-24T04:00:00.000Z',
  };
}

/**
 * A real Alertmanager-shaped receiver on 127.0.0.1 that answers its first post after 300 ms (the
 * others at once), behind an Alertmanager channel re-sending every 150 ms with a queue of `queue`.
 * `race` runs while that first post is in flight (`received` settles when the receiver has it: a fixed
 * sleep is no such point on a loaded machine); then the re-sends are watched for 600 ms and
 * the HealerContainerUnhealthy alerts they fired are returned: what an ended condition must not get.
 */
export async function firedAfterInFlight(dispatcher: Agent, queue: number, race: (ch: Channel, received: Promise<void>) => Promise<void>): Promise<Am[]> {
  const got: Am[][] = [];
  let first = true;
  let arrived = (): void => undefined;
  const received = new Promise<void>((r) => (arrived = r));
  const srv: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      got.push(JSON.parse(raw) as Am[]);
      arrived();
      const delay = first ? 300 : 0;
      first = false;
      setTimeout(() => res.writeHead(200).end('ok'), delay);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${port}/`, headers: {} }, dispatcher, 150);
  const ch = new Channel(am, undefined, { timeoutMs: 2000, retries: 1, queue, windowMs: 0, perMinute: 600, retryBaseMs: 20, retryMaxMs: 40, random: () => 0.5 }, pino({ level: 'silent' }));
  try {
    await race(ch, received);
    const mark = got.length;
    await sleep(600); // several re-send intervals
    return got
      .slice(mark)
      .flat()
      .filter((a) => a.labels.alertname === 'HealerContainerUnhealthy' && a.endsAt === undefined);
  } finally {
    await ch.flush(100);
    am.close?.();
    await new Promise<void>((r) => srv.close(() => r()));
  }
}
