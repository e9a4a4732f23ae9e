import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Alerter } from '../../src/alerting/alerter.ts';
import { loadConfig } from '../../src/config/load.ts';
import { READ_MS, type Engine } from '../../src/docker/engine.ts';

// Review 15 (adversarial review of LOG_READS / LOG_WAIT_MS, shutdown).
// Trigger: SIGTERM while the engine is slow to answer log reads (under load, or itself shutting down):
//   six containers' alerts are being built, each reading its log lines; the engine answers none of
//   them before Engine.logs' own bound READ_MS (10 s). main.stop() calls alerter.flush(grace) with a
//   grace of at most 10 s.
// Observed: Alerter.flush first awaits every per-container chain with no bound: LOG_READS (4) reads run
//   to READ_MS, the others wait their turn up to LOG_WAIT_MS after emission and then may read for
//   READ_MS more: flush(1000) has not returned after 5 s. Docker's stop timeout (10 s by default) then
//   SIGKILLs healer before main.stop closes the history (its last minutes are lost) and before the
//   channels' own grace.
// Expected: flush(graceMs) returns within about graceMs (alerts still building then go without their
//   log lines, or are dropped and counted): shutdown is bounded by the grace it is given.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());
afterEach(() => vi.useRealTimers());

describe('review15: alerter flush with log reads the engine does not answer', () => {
  it('returns within the grace it is given', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    // Engine.logs as the real one behaves with an engine that does not answer: it fails at READ_MS.
    const engine = {
      logs: () => new Promise<string[]>((_r, reject) => setTimeout(() => reject(new Error('engine did not answer')), READ_MS)),
    } as unknown as Engine;
    const dir = mkdtempSync(`${tmpdir()}/healer-r15-flush-`);
    writeFileSync(`${dir}/w.yml`, 'alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: http://127.0.0.1:9/hook\n');
    const loaded = loadConfig(`${dir}/w.yml`, {});
    const alerter = new Alerter({ specs: loaded.channels, config: loaded.config.alerts, secrets: loaded.secrets, dispatcher, engine, log: pino({ level: 'silent' }) });
    const channel = alerter.channels[0];
    if (!channel) throw new Error('no channel');
    vi.spyOn(channel, 'push').mockImplementation(() => undefined);
    for (let i = 0; i < 6; i++) alerter.emit({ event: 'unhealthy', summary: `c${i} is unhealthy`, reason: 'outage', container: { id: `c${i}`, name: `c${i}`, image: 'img', project: undefined, service: undefined } });
    await vi.advanceTimersByTimeAsync(0);
    let done = false;
    const flushed = alerter.flush(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(5000);
    expect(done, 'alerter.flush(1000) still waiting 5 s later').toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    await flushed;
  });
});
