import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel, type ChannelOptions } from '../../src/alerting/channel.ts';
import { parseRetryAfter } from '../../src/alerting/post.ts';
import { webhook } from '../../src/alerting/providers/webhook.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';

const dispatcher = new Agent();
afterAll(() => dispatcher.close());
const lines: { msg: string; reason?: string; err?: string }[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });

const opts = (over: Partial<ChannelOptions> = {}): ChannelOptions => ({
  timeoutMs: 300,
  retries: 3,
  queue: 10,
  windowMs: 60_000,
  perMinute: 600,
  retryBaseMs: 20,
  retryMaxMs: 100,
  random: () => 0.5, // no jitter: delays are base × 2^attempt exactly
  ...over,
});
let n = 0;
const alert = (event: Alert['event'] = 'restarted', container = `c${++n}`): Alert => ({
  event,
  severity: 'warning',
  summary: `${container} ${event}`,
  reason: 'test',
  host: 'h',
  container: { id: container, name: container, image: 'i', project: undefined, service: undefined },
  at: new Date().toISOString(),
});
const channelTo = (url: string, o: ChannelOptions = opts()) => new Channel(webhook({ name: 'hook', url, headers: {} }, dispatcher), undefined, o, log);
const settle = async (c: Channel) => c.flush(10_000);

describe('delivery faults', () => {
  it('retries a 500 with growing delays, then counts the final failure', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const c = channelTo(r.url);
    c.push(alert());
    await settle(c);
    await r.close();
    expect(r.got).toHaveLength(4); // the first attempt and 3 retries
    const gaps = r.got.slice(1).map((g, i) => g.at - (r.got[i]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
    expect(c.counters).toEqual({ sent: 0, retried: 3, failed: 1, dropped: 0, suppressed: 0 });
    expect(lines.at(-1)).toMatchObject({ msg: 'alert delivery failed (gave up after 4 attempts)', err: 'receiver answered HTTP 500: nope' });
  });

  it('waits as long as a 429 Retry-After says, then delivers', async () => {
    const r = await receiver((i) => (i === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const c = channelTo(r.url);
    c.push(alert());
    await settle(c);
    await r.close();
    expect(r.got).toHaveLength(2);
    expect((r.got[1]?.at ?? 0) - (r.got[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(c.counters).toMatchObject({ sent: 1, retried: 1, failed: 0 });
  });

  it('gives up on a receiver that hangs past the timeout, after the retries', async () => {
    const r = await receiver(() => 'hang');
    const c = channelTo(r.url, opts({ retries: 1 }));
    c.push(alert());
    await settle(c);
    await r.close();
    expect(r.got).toHaveLength(2);
    expect(c.counters).toMatchObject({ sent: 0, retried: 1, failed: 1 });
    expect(lines.at(-1)).toMatchObject({ err: 'request failed: timed out' });
  });

  it('retries a refused connection', async () => {
    const c = channelTo(`http://127.0.0.1:${await freePort()}/hook`, opts({ retries: 2 }));
    c.push(alert());
    await settle(c);
    expect(c.counters).toMatchObject({ sent: 0, retried: 2, failed: 1 });
    expect(lines.at(-1)?.err).toBe('request failed: ECONNREFUSED');
  });

  it('does not retry other 4xx', async () => {
    const r = await receiver(() => ({ status: 404 }));
    const c = channelTo(r.url);
    c.push(alert());
    await settle(c);
    await r.close();
    expect(r.got).toHaveLength(1);
    expect(c.counters).toMatchObject({ retried: 0, failed: 1 });
    expect(lines.at(-1)?.msg).toBe('alert delivery failed (not retried)');
  });

  it('never lets a slow channel hold up the caller: push returns at once', async () => {
    const r = await receiver(() => 'hang');
    const c = channelTo(r.url, opts({ timeoutMs: 5000, retries: 0 }));
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) c.push(alert());
    const took = performance.now() - t0;
    await c.flush(50);
    await r.close();
    expect(took).toBeLessThan(50); // five pushes, no I/O awaited
    expect(c.counters.dropped).toBe(5); // 1 in flight + 4 queued, cut short by the shutdown
  });
});

describe('throttle and bounds', () => {
  it('delivers the same event of the same container once per window, then a summary of the rest', async () => {
    const r = await receiver();
    const c = channelTo(r.url, opts({ windowMs: 300 }));
    for (let i = 0; i < 5; i++) c.push(alert('crashloop', 'loopy'));
    c.push(alert('crashloop', 'other'));
    await new Promise((res) => setTimeout(res, 500));
    await settle(c);
    await r.close();
    const got = r.got.map((g) => (g.body as { alert: Alert }).alert);
    expect(got.map((a) => [a.container?.name, a.suppressed])).toEqual([
      ['loopy', undefined],
      ['other', undefined],
      ['loopy', 4],
    ]);
    expect(got[2]?.summary).toBe('loopy crashloop (and 4 more crashloop alerts for loopy in the throttle window)');
    expect(c.counters).toMatchObject({ sent: 3, suppressed: 4 });
  });

  it('drops past the queue bound, counting and logging each', async () => {
    const r = await receiver(() => 'hang');
    const c = channelTo(r.url, opts({ queue: 2, retries: 0, timeoutMs: 2000 }));
    for (let i = 0; i < 6; i++) c.push(alert());
    expect(c.counters.dropped).toBe(3); // one taken by the worker, two queued, three dropped
    expect(lines.filter((l) => l.msg === 'alert dropped').at(-1)?.reason).toBe('queue full (2)');
    await c.flush(10);
    await r.close();
  });

  it('rate-limits a channel', async () => {
    const r = await receiver();
    const c = channelTo(r.url, opts({ perMinute: 6 })); // a bucket of 6, then one every 10 s
    for (let i = 0; i < 8; i++) c.push(alert());
    await new Promise((res) => setTimeout(res, 500));
    expect(r.got).toHaveLength(6);
    await c.flush(10);
    await r.close();
    expect(c.counters).toMatchObject({ sent: 6, dropped: 2 });
  });

  it.each([
    ['5', 5000],
    ['0', 0],
    [new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), 30_000],
    ['soon', undefined],
    [undefined, undefined],
  ])('Retry-After %j → %j ms', (value, ms) => {
    expect(parseRetryAfter(value, Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(ms);
  });
});
