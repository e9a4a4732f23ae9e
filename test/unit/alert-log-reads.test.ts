import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Alerter } from '../../src/alerting/alerter.ts';
import { LOG_READS, LOG_WAIT_MS } from '../../src/alerting/log-reads.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Engine } from '../../src/docker/engine.ts';

// An alert storm (a host-wide outage: 200 containers failing at once) must not open 200 log reads
// against the engine socket: at most LOG_READS at once, the rest in order, and an alert whose turn does
// not come within LOG_WAIT_MS goes without its log lines, saying so; none is held indefinitely or lost.

const dispatcher = new Agent();
afterAll(() => dispatcher.close());
afterEach(() => vi.useRealTimers());

/** A log reader that answers only when the test releases a read, counting reads at once. */
function heldEngine() {
  let now = 0;
  const stats = { max: 0, order: [] as string[] };
  const held: (() => void)[] = [];
  const engine = {
    logs: (id: string) => {
      stats.order.push(id);
      stats.max = Math.max(stats.max, ++now);
      return new Promise<string[]>((resolve) =>
        held.push(() => {
          now--;
          resolve([`${id}: last line`]);
        }),
      );
    },
  } as unknown as Engine;
  const releaseAll = (): void => held.splice(0).forEach((go) => go());
  return { engine, stats, held, releaseAll, reading: () => now };
}

function alerterWith(engine: Engine) {
  const dir = mkdtempSync(`${tmpdir()}/healer-log-reads-`);
  writeFileSync(`${dir}/w.yml`, 'alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: http://127.0.0.1:9/hook\n');
  const loaded = loadConfig(`${dir}/w.yml`, {});
  const alerter = new Alerter({ specs: loaded.channels, config: loaded.config.alerts, secrets: loaded.secrets, dispatcher, engine, log: pino({ level: 'silent' }) });
  // What would be delivered, without delivering it (the channel is not what this test is about).
  const sent: Alert[] = [];
  const channel = alerter.channels[0];
  if (!channel) throw new Error('no channel');
  vi.spyOn(channel, 'push').mockImplementation((a: Alert) => void sent.push(a));
  return { alerter, sent };
}

const container = (id: string) => ({ id, name: id, image: 'img', project: undefined, service: undefined });
const storm = (alerter: Alerter, n: number): void => {
  for (let i = 0; i < n; i++) alerter.emit({ event: 'unhealthy', summary: `c${i} is unhealthy`, reason: 'outage', container: container(`c${i}`) });
};

describe('log reads in an alert storm', () => {
  it(`are at most ${LOG_READS} at once, the rest read in the order their alerts came`, async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const e = heldEngine();
    const { alerter, sent } = alerterWith(e.engine);
    storm(alerter, 200);
    await vi.advanceTimersByTimeAsync(0);
    expect(e.reading(), 'reads under way at once').toBe(LOG_READS);
    // The engine answers, a few at a time, well within the wait.
    while (sent.length < 200) {
      e.releaseAll();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(e.stats.max).toBe(LOG_READS);
    expect(e.stats.order).toEqual(Array.from({ length: 200 }, (_, i) => `c${i}`));
    expect(sent.map((a) => a.summary)).toEqual(Array.from({ length: 200 }, (_, i) => `c${i} is unhealthy`));
    expect(sent.every((a, i) => a.logs?.[0] === `c${i}: last line`)).toBe(true);
  });

  it(`send an alert whose turn does not come within ${LOG_WAIT_MS / 1000}s without log lines, saying so`, async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const e = heldEngine();
    const { alerter, sent } = alerterWith(e.engine);
    storm(alerter, 50);
    await vi.advanceTimersByTimeAsync(LOG_WAIT_MS - 1);
    expect(sent, 'nothing sent before the deadline while the engine does not answer').toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    // Every alert that waited is sent now, in order, with why it has no log lines; no read was made for them.
    expect(sent.map((a) => a.summary)).toEqual(Array.from({ length: 50 - LOG_READS }, (_, i) => `c${i + LOG_READS} is unhealthy`));
    for (const a of sent) expect(a.logs).toEqual([expect.stringMatching(/^logs not read: /)]);
    expect(e.stats.order).toHaveLength(LOG_READS);
    expect(e.stats.max).toBe(LOG_READS);
    // The reads under way end (with their lines): their alerts go too; none is lost.
    e.releaseAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(50);
    expect(sent.slice(-LOG_READS).map((a) => a.logs)).toEqual(Array.from({ length: LOG_READS }, (_, i) => [`c${i}: last line`]));
    // Once the storm is over, an alert reads its lines at once again.
    alerter.emit({ event: 'restarted', summary: 'after is restarted', reason: 'calm', container: container('after') });
    await vi.advanceTimersByTimeAsync(0);
    expect(e.reading()).toBe(1);
    e.releaseAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.at(-1)?.logs).toEqual(['after: last line']);
  });
});
